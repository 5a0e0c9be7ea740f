using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Runs;
using NotebookSsl.Analysis;
using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Studies;

/// <summary>
/// What every pretrain-then-probe study shares: the data budget, the encoder, the pretraining budget, the
/// probe recipes and the seeds. Notebooks 05 and 06 use the same values at each size, so the MAE baseline
/// they both train is one run in the store.
/// </summary>
public sealed record ProbeRecipe
{
    /// <summary>Pretraining and frozen-probe training images: the first N of Fashion-MNIST's train split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images every probe is scored on: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Labelled images for fine-tuning (the first N of the train images): it sees every token, so it costs most.</summary>
    public int FineTuneImages { get; init; }
    /// <summary>The encoder every method pretrains (and the random-init baseline's shape).</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Pretraining optimisation, the same for every method so that they get the same number of steps.</summary>
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    public TrainConfig Attentive { get; init; } = AttentiveProbe.DefaultConfig;
    /// <summary>Seeds of the main comparison (mean ± std over them).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>Smallest crop of the pretraining views (RandomResizedCrop, then a flip), for every method.</summary>
    public double CropScaleMin { get; init; } = 0.2;

    /// <summary>The MAE baseline both notebooks train: MAE's 75 % random masking, a Transformer decoder at the encoder's width.</summary>
    public MaeConfig MaeBaseline() => new()
    {
        Encoder = Encoder, DecoderWidth = Encoder.Width, DecoderHeads = Encoder.Heads, DecoderDepth = Encoder.Depth >= 4 ? 2 : 1, MaskRatio = 0.75,
    };

    /// <summary>The three sizes. Quick is planned for ≈ 20 minutes per notebook on a 2-core CPU with one torch thread.</summary>
    public static ProbeRecipe For(RunSize size) => size switch
    {
        // seconds: proves every step runs
        RunSize.Smoke => new ProbeRecipe
        {
            TrainImages = 128, TestImages = 64, FineTuneImages = 64,
            Encoder = new VitConfig { Width = 32, Depth = 2, Heads = 2 },
            Pretrain = new TrainConfig { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 2, BatchSize = 32, WarmupEpochs = 0.5 },
            Attentive = AttentiveProbe.DefaultConfig with { Epochs = 2, BatchSize = 32, WarmupEpochs = 0.5 },
            Seeds = [0, 1],
        },
        // minutes: notebook 01's model (4 blocks × 64) and data; 256 pretraining steps of 64 images (4 epochs of 4096),
        // fine-tuning 64 steps on 2048 labelled images, frozen probes on all 4096
        RunSize.Quick => new ProbeRecipe
        {
            TrainImages = 4096, TestImages = 1000, FineTuneImages = 2048,
            Encoder = new VitConfig { Width = 64, Depth = 4, Heads = 4 },
            Pretrain = new TrainConfig { Epochs = 4, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 1 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.3 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 },
            Attentive = AttentiveProbe.DefaultConfig with { Epochs = 10, BatchSize = 128, WarmupEpochs = 1 },
            Seeds = [0, 1, 2],
        },
        // hours on one GPU: a ViT-Tiny-like encoder on all of Fashion-MNIST
        RunSize.Full => new ProbeRecipe
        {
            TrainImages = 60_000, TestImages = 10_000, FineTuneImages = 60_000,
            Encoder = new VitConfig { Width = 192, Depth = 12, Heads = 3 },
            Pretrain = new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4 * 4, WarmupEpochs = 5 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 50 },
            Attentive = AttentiveProbe.DefaultConfig with { Epochs = 50 },
            Seeds = [0, 1, 2],
        },
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };
}


/// <summary>One pretrained-and-probed run of a method at a seed (or a baseline: no pretraining, FinalLoss NaN).</summary>
public sealed record MethodRun(string Method, int Seed, ProbeScores Scores, double FinalLoss, double Seconds);

/// <summary>A method's runs averaged over seeds.</summary>
public sealed record MethodRow(string Method, MeanStd Linear, MeanStd Attentive, MeanStd FineTune, MeanStd FinalLoss, MeanStd Seconds)
{
    /// <summary>Mean ± std per method, in the order the methods first appear.</summary>
    public static IReadOnlyList<MethodRow> Summarise(IEnumerable<MethodRun> runs) =>
        runs.GroupBy(r => r.Method).Select(g => new MethodRow(g.Key,
            MeanStd.Of(g.Select(r => r.Scores.Linear)), MeanStd.Of(g.Select(r => r.Scores.Attentive)), MeanStd.Of(g.Select(r => r.Scores.FineTune)),
            MeanStd.Of(g.Select(r => r.FinalLoss)), MeanStd.Of(g.Select(r => r.Seconds)))).ToArray();

    /// <summary>"mean ± std" in percent, or "–" when the probe was not run.</summary>
    public static string Percent(MeanStd m) => double.IsNaN(m.Mean) ? "–" : m.Format("F1", 100);
}

/// <summary>Held-out top-1 accuracies in [0, 1] of one encoder; NaN where a probe was not run (fine-tune of raw pixels).</summary>
public sealed record ProbeScores(double Linear, double Attentive, double FineTune);

/// <summary>
/// The data, the run store and the shared steps of notebooks 05 and 06: pretraining any model through the
/// store, scoring an encoder with the linear, attentive and fine-tune probes (stored too), and the
/// random-init and raw-pixel baselines.
/// </summary>
public sealed class StudyContext
{
    readonly Action<string>? log;

    public StudyContext(ProbeRecipe recipe, RunStore store, ImageDataset train, ImageDataset test, Action<string>? log = null)
    {
        if (train.Count < recipe.Pretrain.BatchSize) throw new ArgumentException($"{train.Count} train images are fewer than one batch of {recipe.Pretrain.BatchSize}.", nameof(train));
        if (test.Count < 2) throw new ArgumentException("the study needs at least 2 held-out images.", nameof(test));
        (Recipe, Store, Train, Test, this.log) = (recipe, store, train, test, log);
        FineTuneSet = train.Take(Math.Min(recipe.FineTuneImages, train.Count));
    }

    public ProbeRecipe Recipe { get; }
    public RunStore Store { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
    public ImageDataset FineTuneSet { get; }

    /// <summary>Loads the recipe's Fashion-MNIST subsets and opens the store (default folder unless given).</summary>
    public static StudyContext Open(ProbeRecipe recipe, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var (train, test) = FashionMnist.LoadSubsets(recipe.TrainImages, recipe.TestImages, dataRoot);
        return new StudyContext(recipe, store ?? new RunStore(), train, test, log);
    }

    /// <summary>The pretraining views of every method: RandomResizedCrop(CropScaleMin..1) and a horizontal flip.</summary>
    public ViewAugmentation Views => ViewAugmentation.Mae(Recipe.Encoder.ImageSize) with { ScaleMin = Recipe.CropScaleMin };

    /// <summary>One augmented view per image, for the single-view methods (MAE, CAE).</summary>
    public Tensor View(Tensor batch, Generator generator) => Views.Apply(batch, generator).Images;

    /// <summary>
    /// A model pretrained on the train images, from the store or trained now (seeded: <paramref name="build"/> runs after
    /// <see cref="Seeds.Set"/>) and stored. <paramref name="config"/> is what defines the run besides the data and the budget.
    /// </summary>
    public StoredRun<TModel, PretrainRecord> Pretrain<TModel>(string kind, object config, int seed, Func<TModel> build,
        Func<TModel, TrainConfig, IEnumerable<StepRecord>> steps, Func<TModel, long> parameters, Action<StepRecord>? onStep = null)
        where TModel : TorchSharp.torch.nn.Module
    {
        var train = Recipe.Pretrain with { Seed = seed };
        var key = new RunKey(kind, new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.CropScaleMin, Model = config, Pretrain = train }, seed);
        var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return build(); }, model =>
        {
            log?.Invoke($"pretraining {key}");
            var clock = Stopwatch.StartNew();
            var losses = steps(model, train).Collect(onStep).Select(s => s.Loss).ToList();
            return new PretrainRecord(losses, clock.Elapsed.TotalSeconds, parameters(model));
        });
        if (run.Loaded) log?.Invoke($"loaded {key}");
        run.Model.eval();
        return run;
    }

    /// <summary>The MAE baseline of both notebooks: one view per image, random masking (stored as kind "mae-views").</summary>
    public StoredRun<MaskedAutoencoder, PretrainRecord> PretrainMae(MaeConfig config, int seed, Action<StepRecord>? onStep = null) =>
        Pretrain("mae-views", config, seed, () => new MaskedAutoencoder(config),
            (mae, train) => MaePretraining.Steps(mae, Train.Images, train, View), mae => mae.ParameterCount, onStep);

    /// <summary>
    /// Held-out accuracy of the linear probe (cls token, BatchNorm, linear), the attentive probe (a learned query over
    /// the patch tokens) and, when asked, fine-tuning, for an encoder named by <paramref name="name"/> (its run folder,
    /// or "random-…"); stored under that name and the probe recipes.
    /// </summary>
    public ProbeScores Score(VisionTransformer encoder, string name, int seed, bool fineTune = true, bool attentive = true)
    {
        var r = Recipe;
        var key = new RunKey("probes", new
        {
            Encoder = name, r.TrainImages, r.TestImages, r.FineTuneImages, Linear = r.Linear with { Seed = seed },
            Attentive = attentive ? r.Attentive with { Seed = seed } : null, FineTune = fineTune ? r.FineTune with { Seed = seed } : null,
        }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"probing {name} (seed {seed})");
            int classes = Train.NumClasses;
            double linear = LinearProbe.Run(encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, classes, r.Linear with { Seed = seed }).Accuracy;
            double att = attentive
                ? AttentiveProbe.Run(encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, classes, r.Attentive with { Seed = seed }).Accuracy
                : double.NaN;
            double ft = fineTune
                ? FineTuning.Run(encoder, FineTuneSet.Images, FineTuneSet.Labels, Test.Images, Test.Labels, classes, r.FineTune with { Seed = seed }).Accuracy
                : double.NaN;
            return new ProbeScores(linear, att, ft);
        }).Metrics;
    }

    /// <summary>The probes on a randomly initialised encoder of the recipe's shape (seeded by <paramref name="seed"/>).</summary>
    public ProbeScores ScoreRandom(int seed, bool fineTune = true, bool attentive = true)
    {
        using var encoder = RandomInit.Encoder(Recipe.Encoder, seed);
        return Score(encoder, $"random-{Shortname(Recipe.Encoder)}-{seed}", seed, fineTune, attentive);
    }

    /// <summary>
    /// Raw pixels, no encoder: the encoders' linear probe on the standardised pixels (<see cref="RawPixels.Linear"/>) and
    /// the attentive probe over the raw patches (p²C values each). Fine-tuning has nothing to tune: NaN.
    /// </summary>
    public ProbeScores ScoreRawPixels(int seed)
    {
        var r = Recipe;
        var key = new RunKey("probes-raw-pixels", new { r.TrainImages, r.TestImages, r.Encoder.PatchSize, Linear = r.Linear with { Seed = seed }, Attentive = r.Attentive with { Seed = seed }, Pixels = "standardised" }, seed);
        return Store.GetOrCompute(key, () =>
        {
            using var scope = NewDisposeScope();
            int classes = Train.NumClasses;
            double linear = RawPixels.Linear(Train.Images, Train.Labels, Test.Images, Test.Labels, classes, r.Linear with { Seed = seed }).Accuracy;
            var trainPatches = Patches.Patchify(Train.Images, r.Encoder.PatchSize);   // [N, L, p²C]
            var testPatches = Patches.Patchify(Test.Images, r.Encoder.PatchSize);
            double attentive = AttentiveProbe.OnTokens(trainPatches, Train.Labels, testPatches, Test.Labels, classes, heads: 1, r.Attentive with { Seed = seed }).Accuracy;
            return new ProbeScores(linear, attentive, double.NaN);
        }).Metrics;
    }

    static string Shortname(VitConfig c) => $"vit{c.Depth}x{c.Width}p{c.PatchSize}";

}
