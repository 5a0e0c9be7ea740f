using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Analysis;
using NotebookSsl.Runs;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Methods.Supervised;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.OneImage;

/// <summary>What an MAE pretrains on: a few Fashion-MNIST images drawn from the pool, or crops of the shipped photo.</summary>
/// <param name="Kind">"fashion-mnist" or "photo".</param>
/// <param name="Count">Images drawn (1 for the photo).</param>
/// <param name="Sampling">How they are drawn (the seed draws them).</param>
public sealed record FewImageSource(string Kind, int Count, FewImageSampling Sampling)
{
    /// <summary><paramref name="count"/> pool images drawn by <paramref name="sampling"/> (the seed draws them).</summary>
    public static FewImageSource Images(int count, FewImageSampling sampling = FewImageSampling.Random) => new("fashion-mnist", count, sampling);

    /// <summary>Random grey crops of data/chelsea.png.</summary>
    public static FewImageSource Photo { get; } = new("photo", 1, FewImageSampling.First);

    public bool IsPhoto => Kind == "photo";

    /// <summary>A row label: "1 image", "1000 images (one class)", "chelsea.png crops".</summary>
    public string Label => IsPhoto ? $"{SingleImage.ShippedPhoto} crops"
        : (Count == 1 ? "1 image" : $"{Count} images") + Sampling switch
        {
            FewImageSampling.Random => "",
            FewImageSampling.First => " (first)",
            FewImageSampling.OneClass => " (one class)",
            _ => " (one per class)",
        };
}

/// <summary>What a supervised pretraining left: the loss curve, its time and the held-out accuracy (was notebook 01's record).</summary>
public sealed record SupervisedMetrics(IReadOnlyList<double> Loss, double Seconds, double TestAccuracy);

/// <summary>What a few-image MAE pretraining left: its loss curve, time, the pool indices of its images (none for the photo) and its last step.</summary>
public sealed record FewPretrainMetrics(IReadOnlyList<double> Loss, double Seconds, long[] Indices, int Steps);

/// <summary>A probe's held-out accuracy in [0, 1] and its time.</summary>
public sealed record ProbeScore(double Accuracy, double Seconds);

/// <summary>The probes of Tables 6–8.</summary>
public enum ProbeKind
{
    /// <summary>End-to-end fine-tuning on the labelled set.</summary>
    FineTune,
    /// <summary>Linear probe on frozen mean-pooled patch tokens.</summary>
    Linear,
    /// <summary>Fine-tuning on a tenth of the labelled set.</summary>
    TenPercent,
}

/// <summary>One pretraining source at one seed, fine-tuned (Tables 6 and 7).</summary>
public sealed record FewImageRun(string Source, int Seed, int Images, double FineTune, double PretrainSeconds, double FinalLoss);

/// <summary>A row of Table 6 or 7: mean ± std over seeds.</summary>
public sealed record FewImageRow(string Source, int Images, MeanStd FineTune, MeanStd PretrainSeconds);

/// <summary>One method at one seed on the few-image set (Table 8); NaN where a probe does not apply (raw pixels: no fine-tuning).</summary>
public sealed record MethodRun(string Method, int Seed, double Linear, double FineTune, double TenPercent);

/// <summary>A row of Table 8: mean ± std over seeds.</summary>
public sealed record MethodRow(string Method, MeanStd Linear, MeanStd FineTune, MeanStd TenPercent);

/// <summary>Fine-tune accuracy of the 1-image MAE after <paramref name="Step"/> pretraining steps (0: random init).</summary>
public sealed record EarlyStopPoint(int Step, int Seed, double FineTune, double Loss);

/// <summary>
/// An encoder pretrained by some method on the few-image set, for Table 8; <paramref name="Id"/> names it in the run
/// store; disposing frees <paramref name="Owner"/> (the module holding the encoder; the encoder itself when null).
/// </summary>
public sealed record PretrainedEncoder(string Method, string Id, VisionTransformer Encoder, IDisposable? Owner = null) : IDisposable
{
    public void Dispose() => (Owner ?? Encoder).Dispose();
}

/// <summary>
/// Notebook 04's runs (relaxmim §4: "MIM learns a favoured, (almost) data-agnostic initialisation"), each kept in a
/// <see cref="RunStore"/>: MAE pretrained for a fixed number of steps on 1, 10, 100, 1,000 Fashion-MNIST images or on
/// crops of one photo (Table 6), on 1,000 images drawn three ways (Table 7), other methods on the 1,000 images
/// (Table 8), and fine-tune accuracy against pretraining steps for the 1-image run (early stopping). Every probe
/// trains on the recipe's labelled set and is scored on held-out test images.
/// </summary>
public sealed class OneImageStudy
{
    /// <summary>The stream's generator is seeded apart from the run's (which draws the masks), so crops and masks are not drawn from one sequence.</summary>
    public static long StreamSeed(int seed) => 1_000_003L + seed;

    readonly Action<string>? log;

    public OneImageStudy(OneImageRecipe recipe, RunStore store, ImageDataset pool, ImageDataset labelled, ImageDataset test,
        string photoPath, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        Recipe = recipe;
        Store = store;
        Pool = pool;
        Labelled = labelled;
        Test = test;
        PhotoPath = photoPath;
        this.log = log;
        TenPercentSet = labelled.Take(recipe.TenPercentImages);
        recipe.Mae.Validate();
        recipe.Budget.Validate();
        if (recipe.ImageCounts.Concat([recipe.SubsetImages]).Any(n => n < 1 || n > pool.Count))
            throw new ArgumentException($"image counts {string.Join(", ", recipe.ImageCounts)} and subset {recipe.SubsetImages} must lie in [1, {pool.Count}] (the pool)", nameof(pool));
        if (pool.ClassCounts().Min() is var fewest && fewest < recipe.SubsetImages)
            throw new ArgumentException($"Table 7 draws {recipe.SubsetImages} images of one class, but a class of the pool has only {fewest}: use a larger pool", nameof(pool));
        if (recipe.SubsetImages < recipe.Supervised.BatchSize)
            throw new ArgumentException($"the supervised batch ({recipe.Supervised.BatchSize}) is larger than the {recipe.SubsetImages}-image set", nameof(recipe));
        if (recipe.Checkpoints.Any(s => s < 1 || s > recipe.Budget.Steps))
            throw new ArgumentException($"checkpoints {string.Join(", ", recipe.Checkpoints)} must lie in [1, {recipe.Budget.Steps}]", nameof(recipe));
        if (labelled.Count < recipe.FineTune.BatchSize || TenPercentSet.Count < recipe.TenPercent.BatchSize)
            throw new ArgumentException($"{labelled.Count} labelled images (10 %: {TenPercentSet.Count}) are fewer than a fine-tune batch", nameof(labelled));
    }

    public OneImageRecipe Recipe { get; }
    public RunStore Store { get; }
    /// <summary>The images few-image sets are drawn from.</summary>
    public ImageDataset Pool { get; }
    /// <summary>The labelled set every probe trains on.</summary>
    public ImageDataset Labelled { get; }
    /// <summary>The first tenth of <see cref="Labelled"/>.</summary>
    public ImageDataset TenPercentSet { get; }
    public ImageDataset Test { get; }
    public string PhotoPath { get; }

    /// <summary>Called at every MAE pretraining step the study runs (not for runs loaded from the store): for live curves.</summary>
    public Action<FewImageSource, int, StepRecord>? OnPretrainStep { get; set; }

    /// <summary>Loads Fashion-MNIST (the pool and the labelled set from the train split, the held-out set from the test split) and opens the store.</summary>
    public static OneImageStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = OneImageRecipe.For(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Seeds = seeds };
        using var train = FashionMnist.Load(DatasetSplit.Train, dataRoot);
        using var test = FashionMnist.Load(DatasetSplit.Test, dataRoot);
        return new OneImageStudy(recipe, store ?? new RunStore(),
            train.Take(Math.Min(recipe.PoolImages, train.Count)), train.Take(Math.Min(recipe.LabelledImages, train.Count)),
            test.Take(Math.Min(recipe.TestImages, test.Count)), SingleImage.ShippedPhotoPath(), log);
    }

    /// <summary>The augmentation at the encoder's input size.</summary>
    public ViewAugmentation Augmentation => Recipe.Augmentation with { Size = Recipe.Mae.Encoder.ImageSize };

    // ------------------------------------------------------------------ data

    /// <summary>The pool indices a source draws with a seed (empty for the photo).</summary>
    public long[] IndicesOf(FewImageSource source, int seed) =>
        source.IsPhoto ? [] : FewImages.Indices(Pool, source.Count, source.Sampling, seed);

    /// <summary>The images a source pretrains on with a seed (for the photo: the grey photo itself, at full size).</summary>
    public Tensor ImagesOf(FewImageSource source, int seed)
    {
        if (source.IsPhoto) return ImageDecoding.Load(PhotoPath, Recipe.Mae.Encoder.Channels); // [1, C, H, W]
        using var subset = FewImages.Sample(Pool, source.Count, source.Sampling, seed);
        return subset.Images.clone();                                                        // [n, C, 28, 28]
    }

    /// <summary>The endless augmented stream a source pretrains on (the caller disposes it).</summary>
    public CropStream StreamOf(FewImageSource source, int seed)
    {
        if (source.IsPhoto) return CropStream.FromPhoto(PhotoPath, Augmentation, Recipe.Mae.Encoder.Channels);
        using var subset = FewImages.Sample(Pool, source.Count, source.Sampling, seed);
        return CropStream.FromImages(subset, Augmentation);
    }

    // ------------------------------------------------------------------ MAE pretraining

    RunKey MaeKey(FewImageSource source, int seed, int stopAt) => new("fewimage-mae", new
    {
        Data = source.IsPhoto ? SingleImage.ShippedPhoto : "fashion-mnist", Recipe.PoolImages, Source = source,
        Recipe.Mae, Pretrain = Recipe.Pretrain with { Seed = seed }, Recipe.Budget, Augmentation, StopAt = stopAt,
    }, seed);

    MaskedAutoencoder BuildMae(int seed)
    {
        Seeds.Set(seed);
        return new MaskedAutoencoder(Recipe.Mae);
    }

    /// <summary>
    /// An MAE pretrained on <paramref name="source"/> for the recipe's step budget (from the store, or trained now and
    /// stored). With <paramref name="checkpoints"/>, the recipe's early-stopping checkpoints are stored on the way
    /// (trained again if the final run is stored but a checkpoint is not).
    /// </summary>
    public StoredRun<MaskedAutoencoder, FewPretrainMetrics> Pretrain(FewImageSource source, int seed, bool checkpoints = false,
        Action<StepRecord>? onStep = null)
    {
        var last = Recipe.Budget.Steps;
        var keep = checkpoints
            ? Recipe.Checkpoints.Where(s => s < last && !Store.Contains(MaeKey(source, seed, s))).ToHashSet()
            : [];
        var key = MaeKey(source, seed, last);
        if (keep.Count > 0 && Store.Contains(key))
        {
            using var again = BuildMae(seed);
            TrainMae(again, source, seed, keep, onStep);
        }
        var run = Store.GetOrTrain(key, () => BuildMae(seed), mae => TrainMae(mae, source, seed, keep, onStep));
        if (run.Loaded) log?.Invoke($"loaded {key} ({source.Label}) from {run.Folder}");
        run.Model.eval();
        return run;
    }

    /// <summary>The stored metrics (loss curve, time, image indices) of a finished pretraining, without loading its weights; null when not stored.</summary>
    public FewPretrainMetrics? PretrainMetrics(FewImageSource source, int seed)
    {
        var key = MaeKey(source, seed, Recipe.Budget.Steps);
        return Store.Contains(key) ? Store.GetOrCompute<FewPretrainMetrics>(key, () => throw new InvalidOperationException()).Metrics : null;
    }

    /// <summary>The MAE of <paramref name="source"/> after <paramref name="step"/> steps (a recipe checkpoint or the last step).</summary>
    public StoredRun<MaskedAutoencoder, FewPretrainMetrics> Checkpoint(FewImageSource source, int seed, int step)
    {
        if (step == Recipe.Budget.Steps) return Pretrain(source, seed, checkpoints: true);
        if (!Recipe.Checkpoints.Contains(step))
            throw new ArgumentException($"step {step} is not one of the recipe's checkpoints ({string.Join(", ", Recipe.Checkpoints)})", nameof(step));
        var key = MaeKey(source, seed, step);
        if (!Store.Contains(key)) Pretrain(source, seed, checkpoints: true).Model.Dispose();
        var run = Store.GetOrTrain<MaskedAutoencoder, FewPretrainMetrics>(key, () => BuildMae(seed),
            _ => throw new InvalidOperationException($"checkpoint {key} was not stored by its pretraining"));
        run.Model.eval();
        return run;
    }

    FewPretrainMetrics TrainMae(MaskedAutoencoder mae, FewImageSource source, int seed, HashSet<int> keep, Action<StepRecord>? onStep)
    {
        log?.Invoke($"pretraining MAE on {source.Label}, seed {seed}, {Recipe.Budget.Steps} steps");
        var indices = IndicesOf(source, seed);
        var config = Recipe.Pretrain with { Seed = seed };
        var clock = Stopwatch.StartNew();
        var losses = new List<double>();
        using var stream = StreamOf(source, seed);
        foreach (var step in MaePretraining.Steps(mae, stream.Batches(config.BatchSize, StreamSeed(seed)), config, Recipe.Budget))
        {
            losses.Add(step.Loss);
            onStep?.Invoke(step);
            OnPretrainStep?.Invoke(source, seed, step);
            var done = (int)step.Step + 1;
            if (keep.Contains(done))
            {
                // early-stopping checkpoint: a copy of the weights after `done` steps, stored as its own run
                var metrics = new FewPretrainMetrics(losses.ToList(), clock.Elapsed.TotalSeconds, indices, done);
                var snapshot = Store.GetOrTrain(MaeKey(source, seed, done), () =>
                {
                    var copy = new MaskedAutoencoder(Recipe.Mae);
                    copy.load_state_dict(mae.state_dict());
                    return copy;
                }, _ => metrics);
                snapshot.Model.Dispose();
                mae.train();
            }
        }
        return new FewPretrainMetrics(losses, clock.Elapsed.TotalSeconds, indices, Recipe.Budget.Steps);
    }

    // ------------------------------------------------------------------ probes

    TrainConfig ProbeConfig(ProbeKind kind) => kind switch
    {
        ProbeKind.FineTune => Recipe.FineTune,
        ProbeKind.Linear => Recipe.Linear,
        _ => Recipe.TenPercent,
    };

    /// <summary>
    /// A probe's held-out accuracy for an encoder named <paramref name="modelId"/> in the store (computed now and stored
    /// unless stored); <paramref name="encoder"/> is asked for only when the probe has to run.
    /// </summary>
    public double Probe(string modelId, Func<VisionTransformer> encoder, ProbeKind kind, int seed)
    {
        var config = ProbeConfig(kind) with { Seed = seed };
        var key = new RunKey("fewimage-probe", new
        {
            Model = modelId, Recipe.Mae.Encoder, Probe = kind, Recipe.LabelledImages, Recipe.TestImages,
            TenPercent = kind == ProbeKind.TenPercent ? Recipe.TenPercentImages : (int?)null, Train = config,
        }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"{kind} probe of {modelId}, seed {seed}");
            var clock = Stopwatch.StartNew();
            var e = encoder();
            var accuracy = kind switch
            {
                ProbeKind.FineTune => FineTuning.Run(e, Labelled.Images, Labelled.Labels, Test.Images, Test.Labels, Labelled.NumClasses, config).Accuracy,
                ProbeKind.Linear => LinearProbe.Run(e, Labelled.Images, Labelled.Labels, Test.Images, Test.Labels, Labelled.NumClasses, config, FeatureKind.MeanPatch).Accuracy,
                _ => FineTuning.Run(e, TenPercentSet.Images, TenPercentSet.Labels, Test.Images, Test.Labels, Labelled.NumClasses, config).Accuracy,
            };
            return new ProbeScore(accuracy, clock.Elapsed.TotalSeconds);
        }).Metrics.Accuracy;
    }

    /// <summary>A probe of a stored run's encoder (the run's folder names it).</summary>
    public double Probe<TModel, TMetrics>(StoredRun<TModel, TMetrics> run, Func<TModel, VisionTransformer> encoderOf, ProbeKind kind, int seed)
        where TModel : TorchSharp.torch.nn.Module =>
        Probe(Path.GetFileName(run.Folder), () => encoderOf(run.Model), kind, seed);

    /// <summary>The probe on a randomly initialised encoder of the MAE's shape (seeded by <paramref name="seed"/>): the floor.</summary>
    public double ProbeRandom(ProbeKind kind, int seed)
    {
        VisionTransformer? encoder = null;
        try
        {
            return Probe("random-init", () => encoder = RandomInit.Encoder(Recipe.Mae.Encoder, seed), kind, seed);
        }
        finally { encoder?.Dispose(); }
    }

    /// <summary>
    /// The encoder's linear probe on raw pixels (<see cref="RawPixels.Linear"/>: standardised pixels), trained on the labelled
    /// set: what a probe gets with no encoder at all.
    /// </summary>
    public double RawPixelLinear(int seed)
    {
        var config = Recipe.Linear with { Seed = seed };
        var key = new RunKey("fewimage-raw-pixels", new { Data = "fashion-mnist", Recipe.LabelledImages, Recipe.TestImages, Train = config, Pixels = "standardised" }, seed);
        return Store.GetOrCompute(key, () =>
        {
            var clock = Stopwatch.StartNew();
            var accuracy = RawPixels.Linear(Labelled.Images, Labelled.Labels, Test.Images, Test.Labels, Labelled.NumClasses, config).Accuracy;
            return new ProbeScore(accuracy, clock.Elapsed.TotalSeconds);
        }).Metrics.Accuracy;
    }

    // ------------------------------------------------------------------ supervised pretraining on the few images

    /// <summary>Table 8's few-image set: <see cref="OneImageRecipe.SubsetImages"/> images, one per class in turn (as the paper).</summary>
    public FewImageSource Table8Source => FewImageSource.Images(Recipe.SubsetImages, FewImageSampling.OnePerClass);

    /// <summary>The supervised config on the few-image set: epochs set so it runs about the step budget, warmup a tenth.</summary>
    public TrainConfig SupervisedConfig(int seed)
    {
        var stepsPerEpoch = Math.Max(1, Recipe.SubsetImages / Recipe.Supervised.BatchSize);
        var epochs = Math.Max(1, (int)Math.Round((double)Recipe.Budget.Steps / stepsPerEpoch));
        return Recipe.Supervised with { Epochs = epochs, WarmupEpochs = epochs / 10.0, Seed = seed };
    }

    /// <summary>A ViT trained with labels on Table 8's few-image set with the strong augmentation (stored).</summary>
    public StoredRun<Classifier, SupervisedMetrics> Supervised(int seed)
    {
        var source = Table8Source;
        var config = SupervisedConfig(seed);
        var key = new RunKey("fewimage-supervised", new { Data = "fashion-mnist", Recipe.PoolImages, Source = source, Recipe.Mae.Encoder, Train = config, Augmentation }, seed);
        var run = Store.GetOrTrain(key, () => SupervisedTraining.Build(Recipe.Mae.Encoder, Pool.NumClasses, seed), model =>
        {
            log?.Invoke($"supervised pretraining on {source.Label}, seed {seed}, {config.Epochs} epochs");
            using var subset = FewImages.Sample(Pool, source.Count, source.Sampling, seed);
            var augmentation = Augmentation;
            var clock = Stopwatch.StartNew();
            var losses = SupervisedTraining.Steps(model, subset.Images, subset.Labels, config, (x, g) => augmentation.Apply(x, g).Images)
                .Select(s => s.Loss).ToList();
            return new SupervisedMetrics(losses, clock.Elapsed.TotalSeconds, SupervisedTraining.Accuracy(model, Test.Images, Test.Labels));
        });
        run.Model.eval();
        return run;
    }

    // ------------------------------------------------------------------ tables

    FewImageRun FineTuned(FewImageSource source, int seed, bool checkpoints = false)
    {
        var run = Pretrain(source, seed, checkpoints);
        try
        {
            var accuracy = Probe(run, m => m.Encoder, ProbeKind.FineTune, seed);
            return new FewImageRun(source.Label, seed, source.Count, accuracy, run.Metrics.Seconds, run.Metrics.Loss[^1]);
        }
        finally { run.Model.Dispose(); }
    }

    /// <summary>The sources of Table 6: each image count drawn at random, then the photo.</summary>
    public IReadOnlyList<FewImageSource> Table6Sources =>
        [.. Recipe.ImageCounts.Select(n => FewImageSource.Images(n)), FewImageSource.Photo];

    /// <summary>Table 6: MAE on each source (the 1-image runs keep the early-stopping checkpoints), fine-tuned, plus random init, at every seed.</summary>
    public IReadOnlyList<FewImageRun> Table6Runs(Action<FewImageRun>? onRun = null)
    {
        var runs = new List<FewImageRun>();
        foreach (var source in Table6Sources)
            foreach (var seed in Recipe.Seeds)
                Add(runs, FineTuned(source, seed, checkpoints: source == FewImageSource.Images(1)), onRun);
        foreach (var seed in Recipe.Seeds)
            Add(runs, new FewImageRun("random init", seed, 0, ProbeRandom(ProbeKind.FineTune, seed), 0, double.NaN), onRun);
        return runs;
    }

    /// <summary>Table 7: MAE on <see cref="OneImageRecipe.SubsetImages"/> images from one class, at random, one per class in turn.</summary>
    public IReadOnlyList<FewImageRun> Table7Runs(Action<FewImageRun>? onRun = null)
    {
        var runs = new List<FewImageRun>();
        foreach (var sampling in new[] { FewImageSampling.OneClass, FewImageSampling.Random, FewImageSampling.OnePerClass })
            foreach (var seed in Recipe.Seeds)
                Add(runs, FineTuned(FewImageSource.Images(Recipe.SubsetImages, sampling), seed), onRun);
        return runs;
    }

    /// <summary>
    /// Table 8 on the one-per-class few-image set: random init, supervised, MAE, then <paramref name="others"/> (each
    /// builds a pretrained encoder for a seed, e.g. MoCo v3, R-MAE, C-MAE), and raw pixels (linear only). Every
    /// method gets the linear probe, fine-tuning and the 10 % fine-tune.
    /// </summary>
    public IReadOnlyList<MethodRun> Table8Runs(IEnumerable<(string Method, Func<int, PretrainedEncoder> Pretrain)>? others = null,
        Action<MethodRun>? onRun = null)
    {
        var runs = new List<MethodRun>();
        MethodRun Scores(string method, int seed, string id, Func<VisionTransformer> encoder) => new(method, seed,
            Probe(id, encoder, ProbeKind.Linear, seed), Probe(id, encoder, ProbeKind.FineTune, seed), Probe(id, encoder, ProbeKind.TenPercent, seed));
        foreach (var seed in Recipe.Seeds)
            Add(runs, new MethodRun("random init", seed, ProbeRandom(ProbeKind.Linear, seed), ProbeRandom(ProbeKind.FineTune, seed), ProbeRandom(ProbeKind.TenPercent, seed)), onRun);
        foreach (var seed in Recipe.Seeds)
        {
            var run = Supervised(seed);
            using (run.Model) Add(runs, Scores("supervised", seed, Path.GetFileName(run.Folder), () => run.Model.Encoder), onRun);
        }
        foreach (var seed in Recipe.Seeds)
        {
            var run = Pretrain(Table8Source, seed);
            using (run.Model) Add(runs, Scores("MAE", seed, Path.GetFileName(run.Folder), () => run.Model.Encoder), onRun);
        }
        foreach (var (method, pretrain) in others ?? [])
            foreach (var seed in Recipe.Seeds)
            {
                using var encoder = pretrain(seed);
                Add(runs, Scores(method, seed, encoder.Id, () => encoder.Encoder), onRun);
            }
        foreach (var seed in Recipe.Seeds)
            Add(runs, new MethodRun("raw pixels", seed, RawPixelLinear(seed), double.NaN, double.NaN), onRun);
        return runs;
    }

    /// <summary>Early stopping: fine-tune accuracy of the 1-image MAE at every checkpoint (step 0: the random init of the same seed).</summary>
    public IReadOnlyList<EarlyStopPoint> EarlyStopping(Action<EarlyStopPoint>? onPoint = null)
    {
        var points = new List<EarlyStopPoint>();
        var source = FewImageSource.Images(1);
        foreach (var seed in Recipe.Seeds)
        {
            Add(points, new EarlyStopPoint(0, seed, ProbeRandom(ProbeKind.FineTune, seed), double.NaN), onPoint);
            foreach (var step in Recipe.Checkpoints.Append(Recipe.Budget.Steps).Distinct().Order())
            {
                var run = Checkpoint(source, seed, step);
                using (run.Model)
                    Add(points, new EarlyStopPoint(step, seed, Probe(run, m => m.Encoder, ProbeKind.FineTune, seed), run.Metrics.Loss[^1]), onPoint);
            }
        }
        return points;
    }

    static void Add<T>(List<T> list, T item, Action<T>? onItem)
    {
        list.Add(item);
        onItem?.Invoke(item);
    }

    /// <summary>Mean ± std over seeds per source, in first-appearance order.</summary>
    public static IReadOnlyList<FewImageRow> Summarise(IEnumerable<FewImageRun> runs) =>
        runs.GroupBy(r => r.Source).Select(g => new FewImageRow(g.Key, g.First().Images,
            MeanStd.Of(g.Select(r => r.FineTune)), MeanStd.Of(g.Select(r => r.PretrainSeconds)))).ToArray();

    /// <summary>Mean ± std over seeds per method, in first-appearance order.</summary>
    public static IReadOnlyList<MethodRow> Summarise(IEnumerable<MethodRun> runs) =>
        runs.GroupBy(r => r.Method).Select(g => new MethodRow(g.Key,
            MeanStd.Of(g.Select(r => r.Linear)), MeanStd.Of(g.Select(r => r.FineTune)), MeanStd.Of(g.Select(r => r.TenPercent)))).ToArray();
}
