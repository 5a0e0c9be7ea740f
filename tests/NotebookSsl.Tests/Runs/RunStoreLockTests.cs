using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

/// <summary>The run store's lock per key: one trainer per key, across threads as across processes (an OS file lock).</summary>
public class RunStoreLockTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    static nn.Module<Tensor, Tensor> Build() => global::NotebookSsl.Training.Seeds.Build(0, () => global::NotebookSsl.Models.Init.Linear(3, 2));

    [Fact]
    public async Task A_second_caller_of_a_key_being_trained_waits_says_for_whom_then_loads_the_first_ones_run()
    {
        using var dir = new TempDir();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var key = new RunKey("locked", new { a = 1 }, 0);
        using var secondWaits = new ManualResetEventSlim();
        int trainings = 0;
        var store = new RunStore(dir.Path, line => { log.Enqueue(line); if (line.Contains("waiting for")) secondWaits.Set(); });

        var first = Task.Run(() => store.GetOrTrain(key, Build, m =>
        {
            Interlocked.Increment(ref trainings);
            // the second caller must be waiting before this one finishes: the lock, not luck, orders them
            Assert.True(secondWaits.Wait(Patience), "the second caller never waited");
            return 0.5;
        }));
        // the second starts once the first is inside its training (holding the lock)
        SpinWait.SpinUntil(() => Volatile.Read(ref trainings) == 1, Patience);
        var second = Task.Run(() => store.GetOrTrain(key, Build, m => { Interlocked.Increment(ref trainings); return 0.9; }));

        var (one, two) = (await first.WaitAsync(Patience), await second.WaitAsync(Patience));
        Assert.Equal(1, trainings);
        Assert.False(one.Loaded);
        Assert.True(two.Loaded);
        Assert.Equal(0.5, two.Metrics);
        Assert.Contains(log, l => l == $"run store: waiting for pid {Environment.ProcessId} which is training {key}.");
        one.Model.Dispose();
        two.Model.Dispose();
    }

    [Fact]
    public async Task Different_keys_never_wait_for_each_other()
    {
        using var dir = new TempDir();
        var store = new RunStore(dir.Path, _ => { });
        using var bDone = new ManualResetEventSlim();
        using var aTraining = new ManualResetEventSlim();
        var a = Task.Run(() => store.GetOrCompute(new RunKey("k", new { a = 1 }, 0), () =>
        {
            aTraining.Set();
            return bDone.Wait(Patience);   // A holds its lock until B has finished: B must not need it
        }));
        Assert.True(aTraining.Wait(Patience));
        var b = store.GetOrCompute(new RunKey("k", new { a = 2 }, 0), () => true);
        bDone.Set();
        Assert.True(b.Metrics);
        Assert.True((await a.WaitAsync(Patience)).Metrics, "A's key waited for B's");
    }

    [Fact]
    public void A_held_output_folder_is_refused_naming_the_holder()
    {
        using var dir = new TempDir();
        using (OutputFolder.Lock(dir["out"], "--out"))
        {
            var e = Assert.Throws<OutputFolderInUseException>(() => OutputFolder.Lock(dir["out"], "--out"));
            Assert.Equal($"--out {dir["out"]} is in use by pid {Environment.ProcessId}: wait for it to end, or choose another folder.", e.Message);
        }
        using (OutputFolder.Lock(dir["out"], "--out")) { }   // released with its holder
    }
}
