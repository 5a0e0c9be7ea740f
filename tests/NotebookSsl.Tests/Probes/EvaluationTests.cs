using NotebookSsl.Data;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

public sealed class EvaluationTests : IDisposable
{
    static readonly VitConfig Tiny = new() { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 };
    readonly string root = Path.Combine(Path.GetTempPath(), $"nbssl-evaluation-{Guid.NewGuid():N}");

    static EvalProtocol Protocol => new()
    {
        TrainImages = 40, FineTuneImages = 20, TestImages = 30, KnnK = 5, LinearIterations = 50,
        FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 10, WarmupEpochs = 0 }, FineTuneMixup = null,
        Attentive = AttentiveProbe.DefaultConfig with { Epochs = 1, BatchSize = 10, WarmupEpochs = 0 },
    };

    /// <summary>Two classes a linear probe can tell apart (class 1 is brighter), 8×8 grey images.</summary>
    internal static ImageDataset Data(int n, int seed)
    {
        var generator = new Generator((ulong)seed);
        var labels = arange(n).remainder(2);                                                     // [N]
        var images = rand(n, 1, 8, 8, generator: generator) * 0.5 + labels.view(n, 1, 1, 1).to(ScalarType.Float32) * 0.5;
        return new ImageDataset(images, labels, ["dark", "bright"], "synthetic");
    }

    Evaluation Open(List<string>? log = null) => new(Protocol, Data(50, 1), Data(30, 2), new RunStore(root, _ => { }), log is null ? null : log.Add);

    [Fact]
    public void Scores_are_stored_per_probe_and_probing_again_computes_nothing()
    {
        var log = new List<string>();
        var evaluation = Open(log);
        using var encoder = RandomInit.Encoder(Tiny, 3);
        var first = evaluation.Score(encoder, "run-a", seed: 0, Probe.Frozen);
        Assert.Equal(2, log.Count);                                           // linear and k-NN computed
        Assert.True(double.IsNaN(first.FineTune) && double.IsNaN(first.Attentive));
        Assert.InRange(first.Linear, 0.5, 1.0);                               // the brightness is linearly readable

        var again = Open(log).Score(encoder, "run-a", seed: 0, Probe.Standard);
        Assert.Equal(3, log.Count);                                           // only the fine-tune was new
        Assert.Equal(first.Linear, again.Linear);
        Assert.Equal(first.Knn, again.Knn);
        Assert.InRange(again.FineTune, 0, 1);
        Assert.Equal(3, Directory.GetDirectories(root, "probe-*").Length);
    }

    [Fact]
    public void Another_run_name_or_seed_is_another_score()
    {
        var log = new List<string>();
        var evaluation = Open(log);
        using var encoder = RandomInit.Encoder(Tiny, 3);
        evaluation.Score(encoder, "run-a", 0, Probe.Linear);
        evaluation.Score(encoder, "run-b", 0, Probe.Linear);
        evaluation.Score(encoder, "run-a", 1, Probe.Linear);
        Assert.Equal(3, log.Count);
    }

    [Fact]
    public void Random_init_is_the_seeded_random_encoder_through_the_same_probes()
    {
        var evaluation = Open();
        var baseline = evaluation.RandomInit(Tiny, seed: 4, Probe.Frozen);
        using var encoder = RandomInit.Encoder(Tiny, 4);
        var direct = new Evaluation(Protocol, Data(50, 1), Data(30, 2), new RunStore(root + "-direct", _ => { }))
            .Score(encoder, Evaluation.RandomInitName(Tiny, 4), seed: 4, Probe.Frozen);
        Assert.Equal(direct, baseline);
        Directory.Delete(root + "-direct", recursive: true);
    }

    [Fact]
    public void Raw_pixels_have_no_fine_tune_and_read_the_brightness()
    {
        var scores = Open().RawPixels(seed: 0, Probe.Standard | Probe.Attentive, patchSize: 4);
        Assert.True(double.IsNaN(scores.FineTune));
        Assert.InRange(scores.Linear, 0.9, 1.0);
        Assert.InRange(scores.Knn, 0.5, 1.0);
        Assert.InRange(scores.Attentive, 0, 1);
    }

    [Fact]
    public void The_protocol_is_checked_by_name()
    {
        Assert.Contains("FineTuneImages", Assert.Throws<ArgumentException>(() => (Protocol with { FineTuneImages = 41 }).Validate()).Message);
        Assert.Contains("KnnK", Assert.Throws<ArgumentException>(() => (Protocol with { KnnK = 0 }).Validate()).Message);
        Assert.Contains("LinearIterations", Assert.Throws<ArgumentException>(() => (Protocol with { LinearIterations = 0 }).Validate()).Message);
        Assert.Contains("TestImages", Assert.Throws<ArgumentException>(() =>
            new Evaluation(Protocol with { TestImages = 31 }, Data(50, 1), Data(30, 2), new RunStore(root))).Message);
        Assert.Contains("Name the encoder's run", Assert.Throws<ArgumentException>(() =>
        {
            using var e = RandomInit.Encoder(Tiny, 0);
            Open().Score(e, " ", 0);
        }).Message);
    }

    [Fact]
    public void Every_size_scores_on_the_whole_test_split_except_smoke()
    {
        Assert.Equal(10_000, EvalProtocol.For(RunSize.Quick).TestImages);
        Assert.Equal(10_000, EvalProtocol.For(RunSize.Full).TestImages);
        Assert.Equal(FeatureKind.MeanPatch, EvalProtocol.For(RunSize.Quick).Feature);
        foreach (var size in Enum.GetValues<RunSize>()) EvalProtocol.For(size).Validate();
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}

public class ConvergedLinearProbeTests
{
    // three Gaussian blobs in 5 dimensions, one per class
    static (Tensor X, Tensor Y) Blobs(int n, int seed)
    {
        var g = new Generator((ulong)seed);
        var y = arange(n).remainder(3);                                                        // [N]
        var centres = tensor(new float[,] { { 2, 0, 0, 0, 0 }, { 0, 2, 0, 0, 0 }, { 0, 0, 2, 0, 0 } });
        return (centres[y] + randn(n, 5, generator: g), y);                                    // [N, 5]
    }

    [Fact]
    public void It_reaches_the_optimum_that_an_epoch_budget_stops_short_of()
    {
        var (x, y) = Blobs(600, 1);
        var (tx, ty) = Blobs(300, 2);
        var converged = LinearProbe.Converged(x, y, tx, ty, 3, iterations: 1000);
        var longer = LinearProbe.Converged(x, y, tx, ty, 3, iterations: 2000);
        Assert.InRange(converged.Accuracy, 0.8, 1.0);                                          // the Bayes rate here is ≈ 0.92
        Assert.InRange(Math.Abs(converged.Accuracy - longer.Accuracy), 0, 0.01);              // twice the iterations change nothing
        Assert.InRange(converged.Steps[^1].Loss - longer.Steps[^1].Loss, -1e-3, 1e-3);
        Assert.True(converged.Steps[^1].Loss < converged.Steps[0].Loss);
        var shortAdamW = LinearProbe.OnFeatures(x, y, tx, ty, 3, LinearProbe.DefaultConfig with { Epochs = 1, BatchSize = 100, WarmupEpochs = 0 });
        Assert.True(shortAdamW.Steps[^1].Loss > converged.Steps[^1].Loss);
    }

    [Fact]
    public void It_needs_no_seed_and_checks_its_inputs()
    {
        var (x, y) = Blobs(90, 3);
        Assert.Equal(LinearProbe.Converged(x, y, x, y, 3, 100).Accuracy, LinearProbe.Converged(x, y, x, y, 3, 100).Accuracy);
        Assert.Contains("iterations", Assert.Throws<ArgumentException>(() => LinearProbe.Converged(x, y, x, y, 3, 0)).Message);
        Assert.Contains("weightDecay", Assert.Throws<ArgumentException>(() => LinearProbe.Converged(x, y, x, y, 3, 10, double.NaN)).Message);
        Assert.Throws<ArgumentException>(() => LinearProbe.Converged(x, y, x[.., ..4], y, 3, 10));
    }
}
