using System.Runtime.InteropServices;

namespace NotebookSsl.Torch;

/// <summary>
/// Keeps glibc's allocator from handing a training step's freed tensors back to the kernel. libtorch's CPU tensors
/// come from malloc; glibc returns large freed blocks (mmap'd ones at once, the heap's top above a trim threshold
/// that follows the largest block freed) and the next step faults the same pages back in, zero-filled by the kernel.
/// On the notebooks' quick MAE step that was about a fifth of the step's time in page faults (perf: exc_page_fault,
/// clear_page; a 20-step bench faulted 72k-260k pages, 47-49k with this). With blocks up to 32 MiB taken from the heap and the heap
/// trimmed only above 256 MiB free at its top, the step reuses its pages. A process keeps up to that much freed
/// memory resident after a training (it would be the training's peak anyway). Linux with glibc only; elsewhere nothing.
/// </summary>
internal static class NativeHeap
{
    // mallopt(3) parameters; 32 MiB is the largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2)
    const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3;
    internal const int MmapThreshold = 32 << 20, TrimThreshold = 256 << 20;

    static readonly Lazy<bool> Tuned = new(Tune);

    /// <summary>Applies the thresholds once per process; true where glibc took them.</summary>
    internal static bool EnsureTuned() => Tuned.Value;

    static bool Tune()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return mallopt(M_MMAP_THRESHOLD, MmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, TrimThreshold) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }   // not glibc
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int param, int value);
}
