using System.Runtime.ExceptionServices;
using static TorchSharp.torch;

namespace NotebookSsl.Runs;

/// <summary>
/// Independent runs (a notebook's seeds × arms, each pretrained and probed) trained side by side, one worker thread
/// each, now. A notebook collects its loop's bodies as jobs and runs them:
/// <code>
/// var jobs = new List&lt;Func&lt;CancellationToken, ArmRun&gt;&gt;();
/// foreach (var seed in S.Seeds)
///     foreach (var arm in arms)
///         jobs.Add(cancel =&gt; study.Run(arm, seed, onStep: curves.For(arm.Name, seed), cancel: cancel));
/// var runs = ParallelRuns.Run(jobs, parallel, cancellation);   // in the jobs' order
/// </code>
/// <para>
/// <b>Why threads, not worker processes.</b> A run's small ViT at one torch thread is bound by per-op overhead, not by
/// memory bandwidth, so two runs on two cores give about twice the throughput either way; threads of one process share
/// the loaded data, the run store's locks, the live chart and the cell's cancellation with nothing to serialise, and a
/// run's model can be returned to the notebook as it is. What processes would have given for free, a generator per run,
/// the library does itself: nothing on a training path reads libtorch's process-wide generator (<see cref="Training.Seeds"/>),
/// so a run's weights are bit-identical whether it trains alone or beside others.
/// </para>
/// <para>
/// Each worker runs one job at a time on the calling process's torch threads (set them to 1, as the notebooks do; the
/// default worker count divides the cores by them). When a job fails, the others are cancelled (they stop within one
/// training step), every worker is waited for, and the first failure is thrown. When the caller's token fires
/// (a cell interrupted), the same: nothing keeps training after this returns.
/// </para>
/// </summary>
public static class ParallelRuns
{
    /// <summary>One worker per core, each on <c>torch.get_num_threads()</c> threads: the cores divided by the torch threads.</summary>
    public static int DefaultWorkers => Math.Max(1, Environment.ProcessorCount / Math.Max(1, get_num_threads()));

    /// <summary>
    /// Runs every job, at most <paramref name="workers"/> at once (0: <see cref="DefaultWorkers"/>; 1: one after another on
    /// the calling thread, as a plain loop), and returns their results in the jobs' order. Each job gets a token that
    /// fires when <paramref name="cancel"/> does or another job failed: pass it to its training.
    /// </summary>
    public static IReadOnlyList<T> Run<T>(IEnumerable<Func<CancellationToken, T>> jobs, int workers = 0, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (workers < 0) throw new ArgumentOutOfRangeException(nameof(workers), workers, "Give the number of runs to train at once (0: one per core).");
        var list = jobs.ToArray();
        if (list.Any(j => j is null)) throw new ArgumentException("A job is null.", nameof(jobs));
        var results = new T[list.Length];
        int count = Math.Min(workers == 0 ? DefaultWorkers : workers, list.Length);
        if (count <= 1)
        {
            for (int i = 0; i < list.Length; i++)
            {
                cancel.ThrowIfCancellationRequested();
                results[i] = list[i](cancel);
            }
            return results;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int next = -1;
        ExceptionDispatchInfo? failure = null;
        void Work()
        {
            // a dispose scope, grad mode and the init generator are per thread in TorchSharp and libtorch: each worker starts clean
            for (int i = Interlocked.Increment(ref next); i < list.Length && !stop.IsCancellationRequested; i = Interlocked.Increment(ref next))
            {
                try { results[i] = list[i](stop.Token); }
                catch (Exception e)
                {
                    // the first real failure wins; the cancellations it causes in the other jobs are not failures
                    if (e is not OperationCanceledException || !stop.IsCancellationRequested)
                        Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                    stop.Cancel();
                    return;
                }
            }
        }
        var threads = Enumerable.Range(0, count).Select(w => new Thread(Work, 16 << 20) { Name = $"run worker {w + 1}", IsBackground = true }).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        failure?.Throw();
        cancel.ThrowIfCancellationRequested();
        return results;
    }
}

/// <summary>
/// A notebook's loop bodies, collected and then run side by side by <see cref="RunAll"/> (<see cref="ParallelRuns.Run{T}"/>):
/// <c>jobs.Add(cancel =&gt; study.Run(arm, seed, cancel: cancel))</c> in the seed × arm loop, then
/// <c>var runs = jobs.RunAll(parallel, cancellation)</c>. Adding runs nothing.
/// </summary>
public sealed class Jobs<T> : List<Func<CancellationToken, T>>
{
    /// <summary>Runs every job now, at most <paramref name="workers"/> at once (0: one per core), results in the order added.</summary>
    public IReadOnlyList<T> RunAll(int workers = 0, CancellationToken cancel = default) => ParallelRuns.Run(this, workers, cancel);
}
