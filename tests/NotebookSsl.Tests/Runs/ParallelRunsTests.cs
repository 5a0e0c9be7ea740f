using NotebookSsl.Data;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Tests.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

/// <summary><see cref="ParallelRuns.Run{T}"/>: jobs side by side on worker threads, failures and cancellations.</summary>
public class ParallelRunsTests
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Results_come_back_in_the_jobs_order()
    {
        // three workers, and in each group of three jobs the later ones finish first: jobs 0 and 1 wait for the next one
        const int n = 6;
        var done = Enumerable.Range(0, n).Select(_ => new ManualResetEventSlim()).ToArray();
        var jobs = Enumerable.Range(0, n).Select(i => (Func<CancellationToken, string>)(_ =>
        {
            if (i % 3 != 2) done[i + 1].Wait(Patience);
            done[i].Set();
            return $"job {i}";
        })).ToList();
        Assert.Equal(Enumerable.Range(0, n).Select(i => $"job {i}"), ParallelRuns.Run(jobs, workers: 3));
        Assert.All(done, d => d.Dispose());
    }

    [Fact]
    public void Two_workers_run_two_jobs_at_once()
    {
        // each job waits for the other at a barrier: it passes only when both run at the same time
        using var barrier = new Barrier(2);
        var jobs = Enumerable.Range(0, 2).Select(_ => (Func<CancellationToken, (bool Met, int Thread)>)(_ =>
            (barrier.SignalAndWait(Patience), Environment.CurrentManagedThreadId))).ToList();
        var results = ParallelRuns.Run(jobs, workers: 2);
        Assert.All(results, r => Assert.True(r.Met, "the jobs did not run at the same time"));
        Assert.NotEqual(results[0].Thread, results[1].Thread);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, results.Select(r => r.Thread));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(0, 1)]   // one job: one worker whatever the cores
    [InlineData(4, 1)]
    public void One_worker_runs_the_jobs_in_order_on_the_calling_thread(int workers, int count)
    {
        var order = new List<int>();
        var jobs = Enumerable.Range(0, count).Select(i => (Func<CancellationToken, int>)(_ =>
        {
            order.Add(i);
            return Environment.CurrentManagedThreadId;
        })).ToList();
        var threads = ParallelRuns.Run(jobs, workers);
        Assert.Equal(Enumerable.Range(0, count), order);
        Assert.All(threads, t => Assert.Equal(Environment.CurrentManagedThreadId, t));
    }

    [Fact]
    public void No_jobs_give_no_results()
    {
        Assert.Empty(ParallelRuns.Run(Array.Empty<Func<CancellationToken, int>>(), workers: 2));
    }

    [Fact]
    public void A_failing_job_cancels_the_others_every_job_is_joined_and_its_exception_is_thrown()
    {
        using var secondRunning = new ManualResetEventSlim();
        bool sawCancel = false, secondEnded = false, thirdStarted = false;
        var jobs = new List<Func<CancellationToken, int>>
        {
            _ =>
            {
                Assert.True(secondRunning.Wait(Patience), "the second job never started");
                throw new InvalidOperationException("job 0 failed: boom");
            },
            cancel =>
            {
                try
                {
                    secondRunning.Set();
                    sawCancel = cancel.WaitHandle.WaitOne(Patience);      // a training notices its token within a step
                    Thread.Sleep(200);                                     // and takes a while to stop: Run must wait for it
                    cancel.ThrowIfCancellationRequested();
                    return 1;
                }
                finally { Volatile.Write(ref secondEnded, true); }
            },
            _ => { thirdStarted = true; return 2; },
        };
        var e = Assert.Throws<InvalidOperationException>(() => ParallelRuns.Run(jobs, workers: 2));
        Assert.Equal("job 0 failed: boom", e.Message);
        Assert.True(sawCancel, "the second job's token was not cancelled");
        Assert.True(Volatile.Read(ref secondEnded), "Run returned before the second job ended");
        Assert.False(thirdStarted, "a job started after another had failed");
    }

    [Fact]
    public void An_outside_cancel_ends_every_job_then_throws_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource();
        using var running = new CountdownEvent(2);
        var ended = new bool[2];
        var jobs = Enumerable.Range(0, 2).Select(i => (Func<CancellationToken, int>)(token =>
        {
            try
            {
                running.Signal();
                token.WaitHandle.WaitOne(Patience);
                Thread.Sleep(100);
                if (i == 0) token.ThrowIfCancellationRequested();   // one job throws on cancellation, the other returns
                return i;
            }
            finally { Volatile.Write(ref ended[i], true); }
        })).ToList();
        var canceller = new Thread(() =>
        {
            if (running.Wait(Patience)) cancel.Cancel();
        });
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => ParallelRuns.Run(jobs, workers: 2, cancel.Token));
        Assert.True(cancel.IsCancellationRequested, "the jobs never both ran");
        Assert.All(Enumerable.Range(0, 2), i => Assert.True(Volatile.Read(ref ended[i]), $"job {i} was still running"));
        Assert.True(canceller.Join(Patience));
    }

    [Fact]
    public void A_cancelled_token_runs_nothing_on_one_worker()
    {
        bool ran = false;
        var jobs = new List<Func<CancellationToken, int>> { _ => { ran = true; return 0; } };
        Assert.ThrowsAny<OperationCanceledException>(() => ParallelRuns.Run(jobs, workers: 1, new CancellationToken(canceled: true)));
        Assert.False(ran);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_a_reason()
    {
        var one = new List<Func<CancellationToken, int>> { _ => 0 };
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => ParallelRuns.Run(one, workers: -1));
        Assert.Equal("workers", negative.ParamName);
        Assert.Contains("number of runs to train at once", negative.Message);

        var withNull = Assert.Throws<ArgumentException>(() => ParallelRuns.Run(new List<Func<CancellationToken, int>> { _ => 0, null! }, workers: 2));
        Assert.Equal("jobs", withNull.ParamName);
        Assert.Contains("null", withNull.Message);

        Assert.Equal("jobs", Assert.Throws<ArgumentNullException>(() => ParallelRuns.Run<int>(null!)).ParamName);
        Assert.True(ParallelRuns.DefaultWorkers >= 1);
    }
}

/// <summary>
/// Issue 21, verbatim: "runs 2 seeds × 2 arms at smoke concurrently and sequentially and compares every weight, bit
/// for bit". Real Fashion-MNIST at smoke (Debian's dataset-fashion-mnist, which .ci/run installs), each way into a
/// store of its own, so that both train.
/// </summary>
public class ParallelRunsSmokeTests
{
    sealed record Result(string Arm, int Seed, Dictionary<string, Tensor> Weights, ProbeScores Scores, IReadOnlyList<double> Loss);

    static IReadOnlyList<Result> RunAll(string storeFolder, int workers)
    {
        var study = Study.Open(StudySize.Smoke, new RunStore(storeFolder, _ => { }));
        var arms = new[] { study.Mae, References.MocoV3(study.Size) };
        var jobs = new List<Func<CancellationToken, Result>>();
        foreach (var seed in new[] { 0, 1 })
            foreach (var arm in arms)
                jobs.Add(cancel =>
                {
                    using var run = study.Pretrain(arm, seed, cancel: cancel);
                    Assert.False(run.Loaded);
                    // copies on the CPU, outside any dispose scope: they outlive the model
                    var weights = run.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone());
                    return new Result(arm.Name, seed, weights, study.Score(run, cancel: cancel), run.Record.Loss);
                });
        return ParallelRuns.Run(jobs, workers);
    }

    [Fact]
    public void Runs_2_seeds_x_2_arms_at_smoke_concurrently_and_sequentially_and_compares_every_weight_bit_for_bit()
    {
        if (!FashionMnist.IsAvailable(DatasetSplit.Train)) throw new InvalidOperationException("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        using var concurrentStore = new TempDir();
        using var sequentialStore = new TempDir();
        var concurrent = RunAll(concurrentStore.Path, workers: 2);
        var sequential = RunAll(sequentialStore.Path, workers: 1);

        Assert.Equal(4, concurrent.Count);
        Assert.Equal(sequential.Select(r => (r.Arm, r.Seed)), concurrent.Select(r => (r.Arm, r.Seed)));
        foreach (var (c, s) in concurrent.Zip(sequential))
        {
            Assert.NotEmpty(c.Loss);
            Assert.Equal(s.Loss, c.Loss);
            Assert.Equal(s.Weights.Keys.Order(), c.Weights.Keys.Order());
            foreach (var (name, tensor) in s.Weights)
                Assert.True(SeedsTests.Same(tensor, c.Weights[name]), $"{c.Arm}, seed {c.Seed}: {name} differs between concurrent and sequential runs");
            Assert.True(double.IsFinite(c.Scores.Linear) && double.IsFinite(c.Scores.Knn) && double.IsFinite(c.Scores.FineTune), $"{c.Arm}, seed {c.Seed}: {c.Scores}");
            Assert.Equal(s.Scores, c.Scores);   // the probes (their heads, data order, mixup) are seeded per run too
        }
        // the runs are different runs: the seeds differ, and so do the arms
        Assert.NotEqual(concurrent[0].Loss, concurrent[2].Loss);
        Assert.NotEqual(concurrent[0].Loss, concurrent[1].Loss);
    }
}
