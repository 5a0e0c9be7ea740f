using NotebookSsl.Data;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Tests.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

/// <summary>
/// <see cref="ParallelRuns"/>: a process's share of a notebook's jobs (NBSSL_RUN_SHARE), run one at a time in its order,
/// results in the jobs' order. The processes themselves are tested through `nbssl run` (NotebookSsl.Notebooks.Tests,
/// ParallelRunsTests). The tests here set the variable: the suite runs one test at a time.
/// </summary>
public class ParallelRunsTests
{
    static IDisposable ShareOf(string? value)
    {
        var old = Environment.GetEnvironmentVariable(ParallelRuns.ShareVariable);
        Environment.SetEnvironmentVariable(ParallelRuns.ShareVariable, value);
        return new Restore(() => Environment.SetEnvironmentVariable(ParallelRuns.ShareVariable, old));
    }

    sealed class Restore(Action undo) : IDisposable { public void Dispose() => undo(); }

    [Fact]
    public void Each_share_runs_every_job_starting_its_own_way_into_the_list()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5], ParallelRuns.Order(6, (0, 1)));
        Assert.Equal([0, 1, 2, 3, 4, 5], ParallelRuns.Order(6, (0, 2)));
        Assert.Equal([3, 4, 5, 0, 1, 2], ParallelRuns.Order(6, (1, 2)));
        Assert.Equal([4, 5, 6, 0, 1, 2, 3], ParallelRuns.Order(7, (2, 3)));
        Assert.Empty(ParallelRuns.Order(0, (1, 2)));
        // every share's order is a permutation: each job runs once in every process
        foreach (var share in new[] { (0, 3), (1, 3), (2, 3) })
            Assert.Equal(Enumerable.Range(0, 10), ParallelRuns.Order(10, share).Order());
    }

    [Fact]
    public void Results_come_back_in_the_jobs_order_whatever_order_they_ran_in()
    {
        using var _ = ShareOf("1/2");
        var ran = new List<int>();
        var jobs = new Jobs<string>();
        for (int i = 0; i < 4; i++) { int j = i; jobs.Add(_ => { ran.Add(j); return $"job {j}"; }); }
        Assert.Equal(["job 0", "job 1", "job 2", "job 3"], jobs.RunAll());
        Assert.Equal([2, 3, 0, 1], ran);
        Assert.True(ParallelRuns.IsHelper);
    }

    [Fact]
    public void Without_a_share_the_jobs_run_in_order_on_the_calling_thread()
    {
        using var _ = ShareOf(null);
        Assert.Equal((0, 1), ParallelRuns.Share);
        Assert.False(ParallelRuns.IsHelper);
        int caller = Environment.CurrentManagedThreadId;
        var ran = new List<(int Job, int Thread)>();
        var jobs = Enumerable.Range(0, 3).Select(i => (Func<CancellationToken, int>)(_ => { ran.Add((i, Environment.CurrentManagedThreadId)); return i * i; })).ToList();
        Assert.Equal([0, 1, 4], ParallelRuns.Run(jobs));
        Assert.Equal([(0, caller), (1, caller), (2, caller)], ran);
        Assert.Empty(ParallelRuns.Run(new List<Func<CancellationToken, int>>()));
    }

    [Fact]
    public void A_cancel_stops_between_jobs_and_reaches_the_running_one()
    {
        using var _ = ShareOf(null);
        using var cancel = new CancellationTokenSource();
        var ran = new List<int>();
        var jobs = new Jobs<int>
        {
            token => { ran.Add(0); return 0; },
            token => { ran.Add(1); cancel.Cancel(); Assert.True(token.IsCancellationRequested); return 1; },
            token => { ran.Add(2); return 2; },
        };
        Assert.Throws<OperationCanceledException>(() => jobs.RunAll(cancel.Token));
        Assert.Equal([0, 1], ran);
    }

    [Theory]
    [InlineData("2/2")]
    [InlineData("-1/2")]
    [InlineData("1")]
    [InlineData("a/b")]
    [InlineData("0/0")]
    public void A_malformed_share_is_refused_by_name(string value)
    {
        using var _ = ShareOf(value);
        var e = Assert.Throws<InvalidOperationException>(() => ParallelRuns.Share);
        Assert.Contains(ParallelRuns.ShareVariable, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Bad_jobs_are_refused_with_a_reason()
    {
        using var _ = ShareOf(null);
        Assert.Equal("jobs", Assert.Throws<ArgumentNullException>(() => ParallelRuns.Run<int>(null!)).ParamName);
        var e = Assert.Throws<ArgumentException>(() => ParallelRuns.Run(new Func<CancellationToken, int>[] { _ => 1, null! }));
        Assert.Contains("Job 1 is null", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ParallelRuns.Order(-1, (0, 1)));
    }
}

/// <summary>
/// The jobs of 2 seeds × 2 arms at smoke in another share's order (as a helper process runs them) give every weight,
/// loss and probe score of the jobs in order, bit for bit: which process trains a run changes nothing. Real
/// Fashion-MNIST at smoke (Debian's dataset-fashion-mnist, which .ci/run installs), each way into a store of its own.
/// </summary>
public class ParallelRunsSmokeTests
{
    sealed record Result(string Arm, int Seed, Dictionary<string, Tensor> Weights, ProbeScores Scores, IReadOnlyList<double> Loss);

    static IReadOnlyList<Result> RunAll(string storeFolder, string? share)
    {
        var old = Environment.GetEnvironmentVariable(ParallelRuns.ShareVariable);
        Environment.SetEnvironmentVariable(ParallelRuns.ShareVariable, share);
        try
        {
            var study = Study.Open(StudySize.Smoke, new RunStore(storeFolder, _ => { }));
            var arms = new[] { study.Mae, References.MocoV3(study.Size) };
            var jobs = new Jobs<Result>();
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
            return jobs.RunAll();
        }
        finally { Environment.SetEnvironmentVariable(ParallelRuns.ShareVariable, old); }
    }

    [Fact]
    public void Runs_2_seeds_x_2_arms_at_smoke_in_another_shares_order_and_compares_every_weight_bit_for_bit()
    {
        if (!FashionMnist.IsAvailable(DatasetSplit.Train)) throw new InvalidOperationException("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        using var helperStore = new TempDir();
        using var orderedStore = new TempDir();
        var helper = RunAll(helperStore.Path, "1/2");   // seed 1's runs first, then seed 0's
        var ordered = RunAll(orderedStore.Path, null);

        Assert.Equal(4, helper.Count);
        Assert.Equal(ordered.Select(r => (r.Arm, r.Seed)), helper.Select(r => (r.Arm, r.Seed)));
        foreach (var (c, s) in helper.Zip(ordered))
        {
            Assert.NotEmpty(c.Loss);
            Assert.Equal(s.Loss, c.Loss);
            Assert.Equal(s.Weights.Keys.Order(), c.Weights.Keys.Order());
            foreach (var (name, tensor) in s.Weights)
                Assert.True(SeedsTests.Same(tensor, c.Weights[name]), $"{c.Arm}, seed {c.Seed}: {name} differs between the two orders");
            Assert.True(double.IsFinite(c.Scores.Linear) && double.IsFinite(c.Scores.Knn) && double.IsFinite(c.Scores.FineTune), $"{c.Arm}, seed {c.Seed}: {c.Scores}");
            Assert.Equal(s.Scores, c.Scores);   // the probes (their heads, data order, mixup) are seeded per run too
        }
        // the runs are different runs: the seeds differ, and so do the arms
        Assert.NotEqual(helper[0].Loss, helper[2].Loss);
        Assert.NotEqual(helper[0].Loss, helper[1].Loss);
    }
}
