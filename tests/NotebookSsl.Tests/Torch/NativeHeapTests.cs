using NotebookSsl.Torch;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Torch;

public class NativeHeapTests
{
    /// <summary>Minor page faults of this process so far (/proc/self/stat, field 10).</summary>
    static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // after "pid (comm) ": field 3 is fields[0]
        return long.Parse(fields[10 - 3]);
    }

    /// <summary>
    /// What a training step does: allocate many 4 MiB tensors (zero-filled, so every page is touched), free them all,
    /// again. With the heap tuned the second and third rounds reuse the first round's pages; untuned, glibc trims the
    /// freed top of the heap (or unmaps the blocks) and every round faults all 48 Ki pages back in.
    /// </summary>
    [Fact]
    public void Freed_tensors_pages_are_reused_by_the_next_round()
    {
        if (!OperatingSystem.IsLinux()) return;
        Assert.True(NativeHeap.EnsureTuned(), "glibc refused the mallopt thresholds");
        const int blocks = 48;   // 48 × 4 MiB = 192 MiB a round (under the trim threshold), 49,152 pages of 4 KiB
        void Round()
        {
            var tensors = Enumerable.Range(0, blocks).Select(_ => zeros(1 << 20)).ToList();   // [2^20] floats = 4 MiB
            foreach (var t in tensors) t.Dispose();
        }
        Round();
        long before = MinorFaults();
        Round();
        Round();
        long faults = MinorFaults() - before;
        Assert.True(faults < 2 * 49_152 / 4, $"{faults:N0} minor page faults over two rounds of 192 MiB: freed pages went back to the kernel");
    }
}
