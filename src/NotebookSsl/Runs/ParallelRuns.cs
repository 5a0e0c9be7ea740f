namespace NotebookSsl.Runs;

/// <summary>
/// Independent runs (a notebook's seeds × arms, each pretrained and probed through the run store) spread over processes.
/// A notebook collects its loop's bodies as jobs and runs them:
/// <code>
/// var jobs = new Jobs&lt;ArmRun&gt;();
/// foreach (var seed in S.Seeds)
///     foreach (var arm in arms)
///         jobs.Add(cancel =&gt; study.Run(arm, seed, onStep: curves.For(arm.Name, seed), cancel: cancel));
/// var runs = jobs.RunAll(cancellation);   // in the jobs' order
/// </code>
/// <para>
/// <b>How.</b> <c>nbssl run --parallel N</c> (or the notebook's <c>parallel</c> parameter) runs the notebook in N
/// processes at once on one run store, one torch thread each. Process k of N (<see cref="Share"/>, from
/// <c>NBSSL_RUN_SHARE=k/N</c>) runs every job of a <see cref="Jobs{T}"/>, one at a time, starting a k-th of the way into
/// the list. Every run and probe score is keyed in the store, and one process trains a key while another asking for it
/// waits and loads it; so the processes start on different runs, and when one reaches a run the other has done, it
/// loads it. Only process 0 writes the notebook, its report and its results; the others are killed when it ends.
/// Without <c>NBSSL_RUN_SHARE</c> (the Jupyter kernel, a plain program) the jobs run one after another, in order.
/// </para>
/// <para>
/// <b>Why processes, not threads.</b> Two runs on two threads of one process were the first design, and they crashed: TorchSharp 0.107 hands the temporary <c>Scalar</c> behind every <c>a + b</c> and optimiser
/// step to libtorch without keeping it alive, so a garbage collection started by one thread's allocations can free a
/// Scalar another thread's op is still reading ("Expected false to be true ... toFloat", in 1 of 4 two-run benchmarks
/// and in 1-2 tests per full parallel test run). Processes share nothing managed. Every run draws from generators of its
/// own (<see cref="Training.Seeds"/>), so which process trains it changes no weight.
/// </para>
/// </summary>
public static class ParallelRuns
{
    /// <summary>The environment variable that gives a process its share: "k/N", 0 ≤ k &lt; N.</summary>
    public const string ShareVariable = "NBSSL_RUN_SHARE";

    /// <summary>This process's share of a notebook's jobs: (k, N) from <see cref="ShareVariable"/>, else (0, 1).</summary>
    /// <exception cref="InvalidOperationException">The variable is set but is not "k/N" with 0 ≤ k &lt; N.</exception>
    public static (int Index, int Count) Share => ParseShare(Environment.GetEnvironmentVariable(ShareVariable));

    /// <summary>Whether this process only helps another one fill the run store (its outputs are thrown away).</summary>
    public static bool IsHelper => Share.Index > 0;

    internal static (int Index, int Count) ParseShare(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (0, 1);
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int k) && int.TryParse(parts[1], out int n) && n >= 1 && k >= 0 && k < n)
            return (k, n);
        throw new InvalidOperationException($"{ShareVariable}='{text}' is not a share 'k/N' with 0 ≤ k < N (nbssl run sets it; unset it to run every job here).");
    }

    /// <summary>
    /// The order process <paramref name="share"/>.Index of <paramref name="share"/>.Count runs <paramref name="count"/> jobs in:
    /// every one, starting ⌊k·count/N⌋ into the list and wrapping around.
    /// </summary>
    public static int[] Order(int count, (int Index, int Count) share)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A job count is not negative.");
        int start = count == 0 ? 0 : (int)((long)share.Index * count / share.Count);
        return Enumerable.Range(0, count).Select(i => (start + i) % count).ToArray();
    }

    /// <summary>
    /// Runs every job now, one at a time in this process's order (<see cref="Order"/>), and returns their results in the
    /// jobs' order. <paramref name="cancel"/> is passed to each job (pass it to its training) and checked between jobs.
    /// </summary>
    public static IReadOnlyList<T> Run<T>(IEnumerable<Func<CancellationToken, T>> jobs, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var list = jobs.ToArray();
        for (int i = 0; i < list.Length; i++)
            if (list[i] is null) throw new ArgumentException($"Job {i} is null: add a function of the cancellation token.", nameof(jobs));
        var results = new T[list.Length];
        foreach (int i in Order(list.Length, Share))
        {
            cancel.ThrowIfCancellationRequested();
            results[i] = list[i](cancel);
        }
        return results;
    }
}

/// <summary>
/// A notebook loop's bodies, collected and then run by <see cref="RunAll"/> (<see cref="ParallelRuns.Run{T}"/>):
/// <c>jobs.Add(cancel =&gt; study.Run(arm, seed, cancel: cancel))</c> in the seed × arm loop, then
/// <c>var runs = jobs.RunAll(cancellation)</c>. Adding runs nothing.
/// </summary>
public sealed class Jobs<T> : List<Func<CancellationToken, T>>
{
    /// <summary>Runs every job now (this process's share first: <see cref="ParallelRuns"/>), results in the order added.</summary>
    public IReadOnlyList<T> RunAll(CancellationToken cancel = default) => ParallelRuns.Run(this, cancel);
}
