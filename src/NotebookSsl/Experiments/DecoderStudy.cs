using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Mae;
using NotebookSsl.Methods;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Experiments;

/// <summary>A mean and sample standard deviation over seeds.</summary>
public sealed record MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("no value to average.", nameof(values));
        double mean = v.Average();
        double std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new MeanStd(mean, std, v.Length);
    }

    /// <summary>"mean ± std" with the given format, e.g. "F1".</summary>
    public string Format(string format = "F2", double scale = 1) =>
        Count > 1 ? $"{(Mean * scale).ToString(format)} ± {(Std * scale).ToString(format)}" : (Mean * scale).ToString(format);

    public override string ToString() => Format();
}

/// <summary>Notebook 01's data budget, models and recipes at one size.</summary>
public sealed record DecoderStudyRecipe
{
    /// <summary>Pretraining and probe-training images: the first N of Fashion-MNIST's train split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images for the probes and PSNR: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Held-out images the attention measurements average over.</summary>
    public int AnalysisImages { get; init; }
    /// <summary>The MAE with the Transformer decoder; the local decoders change only <see cref="MaeConfig.Decoder"/>.</summary>
    public MaeConfig Mae { get; init; } = new();
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    /// <summary>The supervised reference ViT (same encoder shape as the MAE).</summary>
    public TrainConfig Supervised { get; init; } = Methods.Supervised.DefaultConfig;
    /// <summary>Seeds of Table 1 (mean ± std over them).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>Mask ratios of the Fig. 3b sweep (each pretrained with the first seed).</summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [0.3, 0.45, 0.6, 0.75, 0.9];

    public static DecoderStudyRecipe For(RunSize size) => size switch
    {
        // seconds: proves every step runs
        RunSize.Smoke => new DecoderStudyRecipe
        {
            TrainImages = 128, TestImages = 64, AnalysisImages = 16,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 32, Depth = 2, Heads = 2 }, DecoderWidth = 32, DecoderDepth = 2, DecoderHeads = 2 },
            Pretrain = new TrainConfig { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 2, BatchSize = 32, WarmupEpochs = 0.5 },
            Supervised = Methods.Supervised.DefaultConfig with { Epochs = 1, BatchSize = 32, WarmupEpochs = 0.25 },
            Seeds = [0, 1], MaskRatios = [0.3, 0.75, 0.9],
        },
        // 17 minutes measured (1035 s) on a shared 2-core CPU with one torch thread (3 decoders x 3 seeds, 4 more mask ratios, a supervised
        // ViT: 14 trainings and 12 fine-tunings). 512 pretraining steps each: far from converged, enough for the
        // decoder's attention to start taking shape.
        RunSize.Quick => new DecoderStudyRecipe
        {
            TrainImages = 4096, TestImages = 1000, AnalysisImages = 256,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 64, Depth = 4, Heads = 4 }, DecoderWidth = 64, DecoderDepth = 3, DecoderHeads = 4 },
            Pretrain = new TrainConfig { Epochs = 8, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 1 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.3 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 },
            Supervised = Methods.Supervised.DefaultConfig with { Epochs = 8, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 1 },
            Seeds = [0, 1, 2],
        },
        // hours on one GPU: ViT-Tiny-like encoder, 4-block decoder, all of Fashion-MNIST
        RunSize.Full => new DecoderStudyRecipe
        {
            TrainImages = 60_000, TestImages = 10_000, AnalysisImages = 2_000,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 192, Depth = 12, Heads = 3 }, DecoderWidth = 128, DecoderDepth = 4, DecoderHeads = 4 },
            Pretrain = new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4 * 4, WarmupEpochs = 5 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 50 },
            Supervised = Methods.Supervised.DefaultConfig with { Epochs = 100, BatchSize = 256, WarmupEpochs = 5 },
            Seeds = [0, 1, 2],
        },
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };
}

/// <summary>What MAE pretraining left: the loss curve, its time and the model's size.</summary>
public sealed record PretrainMetrics(IReadOnlyList<double> Loss, double Seconds, long Parameters, long DecoderParameters);

/// <summary>Held-out scores of one encoder (accuracies in [0, 1]; PSNR in dB, NaN for a random encoder).</summary>
public sealed record EvalMetrics(double FineTune, double Linear, double Psnr);

/// <summary>One row of Table 1 before averaging: a decoder kind (or "random init") at one seed.</summary>
public sealed record DecoderRun(string Decoder, int Seed, double FineTune, double Linear, double Psnr,
    long DecoderParameters, double PretrainSeconds, double FinalLoss);

/// <summary>One row of Table 1: mean ± std over the seeds.</summary>
public sealed record DecoderRow(string Decoder, MeanStd FineTune, MeanStd Linear, MeanStd Psnr,
    long DecoderParameters, MeanStd PretrainSeconds, MeanStd FinalLoss);

/// <summary>What the supervised reference left.</summary>
public sealed record SupervisedMetrics(IReadOnlyList<double> Loss, double Seconds, double TestAccuracy);

/// <summary>Attention distance per encoder block at one mask ratio.</summary>
public sealed record MaskRatioDistance(double MaskRatio, double[] Distance, double FinalLoss);

/// <summary>
/// Notebook 01's runs, each kept in a <see cref="RunStore"/> so a notebook run again loads them: MAE
/// pretraining per decoder kind, mask ratio and seed; the held-out evaluation (fine-tune, linear probe,
/// PSNR) of each; the random-init baseline; the supervised ViT. Data: Fashion-MNIST, the first
/// TrainImages train images and TestImages test images.
/// </summary>
public sealed class DecoderStudy
{
    public DecoderStudy(DecoderStudyRecipe recipe, RunStore store, ImageDataset train, ImageDataset test, Action<string>? log = null)
    {
        Recipe = recipe;
        Store = store;
        Train = train;
        Test = test;
        this.log = log;
        if (train.Count < recipe.Pretrain.BatchSize) throw new ArgumentException($"{train.Count} train images are fewer than one batch of {recipe.Pretrain.BatchSize}.", nameof(train));
        if (test.Count < 2) throw new ArgumentException("the study needs at least 2 held-out images.", nameof(test));
    }

    readonly Action<string>? log;
    public DecoderStudyRecipe Recipe { get; }
    public RunStore Store { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }

    /// <summary>Held-out images the attention measurements use: the first AnalysisImages of the test set.</summary>
    public TorchSharp.torch.Tensor AnalysisImages => Test.Images.slice(0, 0, Math.Min(Recipe.AnalysisImages, Test.Count), 1);

    /// <summary>Loads the recipe's Fashion-MNIST subsets (see <see cref="FashionMnist.Load"/>) and opens the store (default folder unless given).</summary>
    public static DecoderStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = DecoderStudyRecipe.For(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Seeds = seeds };
        using var train = FashionMnist.Load(DatasetSplit.Train, dataRoot);
        using var test = FashionMnist.Load(DatasetSplit.Test, dataRoot);
        return new DecoderStudy(recipe, store ?? new RunStore(),
            train.Take(Math.Min(recipe.TrainImages, train.Count)), test.Take(Math.Min(recipe.TestImages, test.Count)), log);
    }

    /// <summary>The recipe's MAE with another decoder and/or mask ratio.</summary>
    public MaeConfig MaeConfig(DecoderKind decoder = DecoderKind.Transformer, double? maskRatio = null) =>
        Recipe.Mae with { Decoder = decoder, MaskRatio = maskRatio ?? Recipe.Mae.MaskRatio };

    RunKey PretrainKey(MaeConfig config, int seed) =>
        new("mae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Mae = config, Pretrain = Recipe.Pretrain with { Seed = seed } }, seed);

    /// <summary>An MAE pretrained on the train images (from the store, or trained now and stored).</summary>
    public StoredRun<MaskedAutoencoder, PretrainMetrics> Pretrain(MaeConfig config, int seed, Action<StepRecord>? onStep = null)
    {
        var key = PretrainKey(config, seed);
        var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new MaskedAutoencoder(config); }, mae =>
        {
            log?.Invoke($"pretraining {key}: {config.Decoder} decoder, mask ratio {config.MaskRatio}");
            var clock = Stopwatch.StartNew();
            var losses = new List<double>();
            foreach (var step in MaePretraining.Run(mae, Train.Images, Recipe.Pretrain with { Seed = seed }))
            {
                losses.Add(step.Loss);
                onStep?.Invoke(step);
            }
            return new PretrainMetrics(losses, clock.Elapsed.TotalSeconds, mae.ParameterCount, DecoderAnalysis.DecoderParameters(mae));
        });
        if (run.Loaded) log?.Invoke($"loaded {key} from {run.Folder}");
        run.Model.eval();
        return run;
    }

    /// <summary>Fine-tune, linear probe and masked-patch PSNR of a pretrained MAE on the held-out images (stored).</summary>
    public EvalMetrics Evaluate(StoredRun<MaskedAutoencoder, PretrainMetrics> pretrained, int seed)
    {
        var key = new RunKey("mae-eval", new { Pretrained = Path.GetFileName(pretrained.Folder), Recipe.TestImages, FineTune = Recipe.FineTune with { Seed = seed }, Linear = Recipe.Linear with { Seed = seed } }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"evaluating {key}");
            var mae = pretrained.Model;
            return new EvalMetrics(
                FineTuning.Run(mae.Encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.FineTune with { Seed = seed }).Accuracy,
                LinearProbe.Run(mae.Encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.Linear with { Seed = seed }).Accuracy,
                DecoderAnalysis.ReconstructionPsnr(mae, Test.Images, seed));
        }).Metrics;
    }

    /// <summary>The same probes on a randomly initialised encoder of the same shape (stored).</summary>
    public EvalMetrics EvaluateRandom(int seed)
    {
        var key = new RunKey("random-eval", new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.TestImages, Recipe.Mae.Encoder, FineTune = Recipe.FineTune with { Seed = seed }, Linear = Recipe.Linear with { Seed = seed } }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"evaluating {key}");
            Seeds.Set(seed);
            using var encoder = new VisionTransformer(Recipe.Mae.Encoder);
            return new EvalMetrics(
                FineTuning.Run(encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.FineTune with { Seed = seed }).Accuracy,
                LinearProbe.Run(encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.Linear with { Seed = seed }).Accuracy,
                double.NaN);
        }).Metrics;
    }

    /// <summary>Table 1: every decoder kind at every seed, pretrained and evaluated, plus the random-init baseline.</summary>
    public IReadOnlyList<DecoderRun> Table1Runs(Action<DecoderRun>? onRun = null)
    {
        var runs = new List<DecoderRun>();
        foreach (var decoder in Enum.GetValues<DecoderKind>())
            foreach (var seed in Recipe.Seeds)
            {
                var pretrained = Pretrain(MaeConfig(decoder), seed);
                var scores = Evaluate(pretrained, seed);
                var m = pretrained.Metrics;
                var row = new DecoderRun(decoder.ToString(), seed, scores.FineTune, scores.Linear, scores.Psnr, m.DecoderParameters, m.Seconds, m.Loss[^1]);
                pretrained.Model.Dispose();
                runs.Add(row);
                onRun?.Invoke(row);
            }
        foreach (var seed in Recipe.Seeds)
        {
            var scores = EvaluateRandom(seed);
            var row = new DecoderRun("random init", seed, scores.FineTune, scores.Linear, double.NaN, 0, 0, double.NaN);
            runs.Add(row);
            onRun?.Invoke(row);
        }
        return runs;
    }

    /// <summary>Mean ± std over seeds of each decoder's runs, in the order they first appear.</summary>
    public static IReadOnlyList<DecoderRow> Summarise(IEnumerable<DecoderRun> runs) =>
        runs.GroupBy(r => r.Decoder).Select(g => new DecoderRow(g.Key,
            MeanStd.Of(g.Select(r => r.FineTune)), MeanStd.Of(g.Select(r => r.Linear)), MeanStd.Of(g.Select(r => r.Psnr)),
            g.First().DecoderParameters, MeanStd.Of(g.Select(r => r.PretrainSeconds)), MeanStd.Of(g.Select(r => r.FinalLoss)))).ToArray();

    /// <summary>The supervised reference ViT (same encoder shape), trained on the labelled train images (stored).</summary>
    public StoredRun<Classifier, SupervisedMetrics> Supervised(int seed = 0)
    {
        var config = Recipe.Supervised with { Seed = seed };
        var key = new RunKey("supervised", new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.TestImages, Recipe.Mae.Encoder, Train = config }, seed);
        var run = Store.GetOrTrain(key, () => Methods.Supervised.Build(Recipe.Mae.Encoder, Train.NumClasses, seed), model =>
        {
            log?.Invoke($"training {key}");
            var clock = Stopwatch.StartNew();
            var losses = Methods.Supervised.Train(model, Train.Images, Train.Labels, config).Select(s => s.Loss).ToList();
            double seconds = clock.Elapsed.TotalSeconds;
            return new SupervisedMetrics(losses, seconds, Methods.Supervised.Accuracy(model, Test.Images, Test.Labels));
        });
        run.Model.eval();
        return run;
    }

    /// <summary>Fig. 3b: an MAE (Transformer decoder, first seed) per mask ratio, and its encoder's attention distance per block on full held-out images.</summary>
    public IReadOnlyList<MaskRatioDistance> MaskRatioSweep(Action<MaskRatioDistance>? onRatio = null)
    {
        var result = new List<MaskRatioDistance>();
        foreach (var ratio in Recipe.MaskRatios)
        {
            var run = Pretrain(MaeConfig(maskRatio: ratio), Recipe.Seeds[0]);
            var point = new MaskRatioDistance(ratio, DecoderAnalysis.EncoderDistance(run.Model.Encoder, AnalysisImages), run.Metrics.Loss[^1]);
            run.Model.Dispose();
            result.Add(point);
            onRatio?.Invoke(point);
        }
        return result;
    }

    /// <summary>notebooks/results/{name}-{size}.json at the repository root (beside NotebookSsl.sln), or under the current folder.</summary>
    public static string ResultsPath(string name, RunSize size)
    {
        return Path.Combine(RunStore.RepositoryRoot(), "notebooks", "results", $"{name}-{size.ToString().ToLowerInvariant()}.json");
    }
}
