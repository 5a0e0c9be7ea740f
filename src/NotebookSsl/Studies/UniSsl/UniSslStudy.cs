using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Analysis;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Runs;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.UniSsl;

/// <summary>Notebook 02's data budget, models and recipes at one size.</summary>
public sealed record UniSslRecipe
{
    /// <summary>Pretraining and probe-training images: the first N of Fashion-MNIST's train split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images every probe is scored on: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Held-out images the attention distance averages over.</summary>
    public int AnalysisImages { get; init; }
    /// <summary>Share of the train images (balanced per class) the few-label fine-tune sees (the paper's 10 %).</summary>
    public double FewLabelFraction { get; init; } = 0.1;
    /// <summary>The encoder all three methods pretrain (notebook 01's shape at each size, so its Fig. 3a can load the DINO run).</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>DINO with two global crops (the paper's 2-crop row); its encoder is <see cref="Encoder"/>.</summary>
    public DinoConfig Dino { get; init; } = new();
    /// <summary>Uni-SSL; its DINO part is <see cref="Dino"/> (same head, temperatures, EMA and views).</summary>
    public UniSslConfig UniSsl { get; init; } = new();
    /// <summary>MAE (mask ratio 0.75, the paper's setting for Table 2).</summary>
    public MaeConfig Mae { get; init; } = new();
    /// <summary>Budget shared by the three pretrainings (epochs, batch); the rates are each method's own (the paper: MAE 1.5e-4, Uni-SSL 5e-4 per 256).</summary>
    public TrainConfig PretrainMae { get; init; } = new();
    public TrainConfig PretrainDino { get; init; } = DinoConfig.DefaultTrain;
    public TrainConfig PretrainUniSsl { get; init; } = DinoConfig.DefaultTrain;
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    /// <summary>The few-label fine-tune: the same recipe, more epochs so it takes about as many steps.</summary>
    public TrainConfig FineTuneFew { get; init; } = FineTuning.DefaultConfig;
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    /// <summary>
    /// Probe DINO's and Uni-SSL's EMA teacher (DINO's practice; <c>full</c>) or their student (<c>smoke</c>, <c>quick</c>).
    /// Measured on quick's recipe (seed 0, 192 steps; k-NN on 1,000 held-out images): Uni-SSL teacher 54.6 %, student
    /// 58.6 % (mean patch token; random init 52.9 %); DINO teacher 58.3 %, student 58.5 % (cls; random init 57.4 %). When
    /// the EMA's horizon is close to the whole run, the teacher still carries part of its initialisation.
    /// </summary>
    public bool ProbeTeacher { get; init; } = true;
    /// <summary>Held-out evaluations per fine-tuning epoch for Fig. 5b's curve (2: every half epoch).</summary>
    public int CurvePointsPerEpoch { get; init; } = 2;
    /// <summary>k of the k-NN probe (DINO's eval_knn: 20).</summary>
    public int KnnK { get; init; } = 20;
    /// <summary>Seeds of Table 2 (mean ± std over them).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];
    /// <summary>K values of Table 3 (first seed, fine-tune only).</summary>
    public IReadOnlyList<int> PointsSweep { get; init; } = [2, 3, 4, 5, 6];
    /// <summary>S values (tokens) of Table 4 (first seed, fine-tune only).</summary>
    public IReadOnlyList<int> WindowSweep { get; init; } = [1, 3, 5];

    public static UniSslRecipe For(RunSize size)
    {
        var r = size switch
        {
            // seconds: proves every cell runs
            RunSize.Smoke => new UniSslRecipe
            {
                TrainImages = 128, TestImages = 64, AnalysisImages = 16,
                Encoder = new VitConfig { Width = 32, Depth = 2, Heads = 2 },
                Dino = new DinoConfig { OutDim = 128, HiddenDim = 64, BottleneckDim = 32, UseBnInHead = true, TeacherMomentum = 0.98 },
                PretrainMae = new TrainConfig { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
                PretrainDino = DinoConfig.DefaultTrain with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
                PretrainUniSsl = DinoConfig.DefaultTrain with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
                FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
                FineTuneFew = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 4, Lr = 1e-3, WarmupEpochs = 0.5 },
                Linear = LinearProbe.DefaultConfig with { Epochs = 2, BatchSize = 32, WarmupEpochs = 0.5 },
                KnnK = 10, Seeds = [0], PointsSweep = [3, 5], WindowSweep = [3, 5], ProbeTeacher = false,
            },
            // see the notebook's plan: ~18 min on a shared 2-core CPU, one torch thread
            RunSize.Quick => new UniSslRecipe
            {
                TrainImages = 2048, TestImages = 1000, AnalysisImages = 256,
                Encoder = new VitConfig { Width = 64, Depth = 4, Heads = 4 },
                // BN in the head and a faster teacher: measured at this size, 48 steps at lr 5e-4 without BN fell to the uniform
                // distribution (loss = ln K, teacher entropy ln K) with or without freezing the last layer, at teacher temperature
                // 0.04 or 0.02, at lr 1.25e-4 (DINO's own); with BN the teacher's entropy stayed at 3.8 of ln 512 = 6.2. 0.996's
                // EMA horizon (250 steps) is longer than the whole run (192 steps); 0.98's is 50.
                Dino = new DinoConfig { OutDim = 512, HiddenDim = 128, BottleneckDim = 64, UseBnInHead = true, TeacherMomentum = 0.98 },
                PretrainMae = new TrainConfig { Epochs = 6, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 1 },
                PretrainDino = DinoConfig.DefaultTrain with { Epochs = 6, BatchSize = 64, Lr = 5e-4, WarmupEpochs = 1 },
                PretrainUniSsl = DinoConfig.DefaultTrain with { Epochs = 6, BatchSize = 64, Lr = 5e-4, WarmupEpochs = 1 },
                FineTune = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.3 },
                FineTuneFew = FineTuning.DefaultConfig with { Epochs = 10, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 1 },
                Linear = LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 },
                Seeds = [0, 1, 2], PointsSweep = [2, 3, 4, 5, 6], WindowSweep = [1, 3, 5], ProbeTeacher = false,
            },
            // hours on one GPU: ViT-Tiny-like, 14×14 tokens (patch 2) as the paper's grid, all of Fashion-MNIST
            RunSize.Full => new UniSslRecipe
            {
                TrainImages = 60_000, TestImages = 10_000, AnalysisImages = 2_000,
                Encoder = new VitConfig { PatchSize = 2, Width = 192, Depth = 12, Heads = 3 },
                Dino = new DinoConfig { OutDim = 4096, HiddenDim = 1024, BottleneckDim = 256, UseBnInHead = true },
                PretrainMae = new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4, WarmupEpochs = 20 },
                PretrainDino = DinoConfig.DefaultTrain with { Epochs = 100, BatchSize = 256, WarmupEpochs = 10 },
                PretrainUniSsl = DinoConfig.DefaultTrain with { Epochs = 100, BatchSize = 256, WarmupEpochs = 10 },
                FineTune = FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
                FineTuneFew = FineTuning.DefaultConfig with { Epochs = 100, WarmupEpochs = 5 },
                Linear = LinearProbe.DefaultConfig with { Epochs = 50 },
                Seeds = [0, 1, 2], PointsSweep = [3, 4, 5, 6, 7, 8], WindowSweep = [1, 3, 5],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(size)),
        };
        // one encoder for all; Uni-SSL shares DINO's head, temperatures, EMA and views
        var dino = r.Dino with { Encoder = r.Encoder };
        int k = size == RunSize.Full ? 5 : Math.Min(5, r.Encoder.GridSize - 2);    // the paper's K = 5 (on 14×14); 5 on a 7×7 grid too
        return r with
        {
            Dino = dino,
            UniSsl = r.UniSsl with { Dino = dino, Points = k, WindowTokens = 5 },
            Mae = new MaeConfig { Encoder = r.Encoder, DecoderWidth = r.Encoder.Width, DecoderDepth = size == RunSize.Full ? 4 : 2, DecoderHeads = r.Encoder.Heads },
        };
    }
}

/// <summary>What a pretraining left: its loss curve (and Uni-SSL's two parts), time and size.</summary>
public sealed record SslPretrainMetrics(IReadOnlyList<double> Loss, IReadOnlyList<double> Sim, IReadOnlyList<double> Pixel, double Seconds, long Parameters);

/// <summary>Held-out scores of one encoder (accuracies in [0, 1]); <see cref="FineTuneCurve"/> is the held-out accuracy during fine-tuning, <see cref="UniSslRecipe.CurvePointsPerEpoch"/> points per epoch.</summary>
public sealed record ProbeScores(double FineTune, double FineTuneFew, double Linear, double Knn, double[] FineTuneCurve);

/// <summary>One row of Table 2 before averaging, with the encoder's attention distance per block (px; empty for raw pixels).</summary>
public sealed record MethodRun(string Method, int Seed, ProbeScores Scores, double PretrainSeconds, double FinalLoss, double[] Distance);

/// <summary>
/// Notebook 02's runs, each kept in a <see cref="RunStore"/>: MAE, DINO and Uni-SSL pretrained on the same encoder and
/// budget, their held-out probes (fine-tune, 10 %-label fine-tune, linear, k-NN; of the encoder <see cref="Probed(DinoModel)"/>
/// picks), the random-init and raw-pixel
/// baselines, and the K and S sweeps. Linear probe and k-NN read the token the pretraining trains: the cls token for MAE
/// (MAE's main_linprobe) and DINO, the mean patch token for Uni-SSL (its losses never touch the cls token) and for a
/// random encoder. Raw pixels: the flattened image (a minimal raw-pixel probe; the Probes/ helper of issue 'recipes'
/// supersedes it once merged).
/// </summary>
public sealed class UniSslStudy
{
    public UniSslStudy(UniSslRecipe recipe, RunStore store, ImageDataset train, ImageDataset test, Action<string>? log = null)
    {
        Recipe = recipe;
        Store = store;
        Train = train;
        Test = test;
        this.log = log;
        if (test.Count < 2) throw new ArgumentException("the study needs at least 2 held-out images.", nameof(test));
        FewLabels = train.PerClass(Math.Max(1, (int)Math.Round(recipe.FewLabelFraction * train.Count / train.NumClasses)), seed: 0);
    }

    readonly Action<string>? log;
    public UniSslRecipe Recipe { get; }
    public RunStore Store { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
    /// <summary>The labelled subset of the few-label fine-tune: the same number of train images per class.</summary>
    public ImageDataset FewLabels { get; }

    /// <summary>Held-out images the attention distance uses: the first AnalysisImages of the test set.</summary>
    public Tensor AnalysisImages => Test.Images.slice(0, 0, Math.Min(Recipe.AnalysisImages, Test.Count), 1);

    /// <summary>Notebook 02's recipe at a size (<see cref="UniSslRecipe.For"/>).</summary>
    public static UniSslRecipe RecipeFor(RunSize size) => UniSslRecipe.For(size);

    /// <summary>Loads the recipe's Fashion-MNIST subsets and opens the store (default folder unless given).</summary>
    public static UniSslStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = UniSslRecipe.For(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Seeds = seeds };
        var (train, test) = FashionMnist.LoadSubsets(recipe.TrainImages, recipe.TestImages, dataRoot);
        return new UniSslStudy(recipe, store ?? new RunStore(), train, test, log);
    }

    // ---------------------------------------------------------------- pretraining

    /// <summary>DINO (two global crops) pretrained on the train images, from the store or trained now. Notebook 01 loads it for Fig. 3a.</summary>
    public StoredRun<DinoModel, SslPretrainMetrics> Dino(int seed, Action<StepRecord>? onStep = null, DinoConfig? config = null)
    {
        config ??= Recipe.Dino;
        var train = Recipe.PretrainDino with { Seed = seed };
        var key = new RunKey("dino-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Dino = config, Pretrain = train }, seed);
        var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new DinoModel(config); }, model =>
        {
            log?.Invoke($"pretraining {key}");
            var clock = Stopwatch.StartNew();
            var losses = model.Steps(Train.Images, train).Collect(onStep).Select(s => s.Loss).ToList();
            return new SslPretrainMetrics(losses, [], [], clock.Elapsed.TotalSeconds, model.ParameterCount);
        });
        if (run.Loaded) log?.Invoke($"loaded {key} from {run.Folder}");
        run.Model.eval();
        return run;
    }

    /// <summary>Uni-SSL pretrained on the train images (recipe's K and S unless given), from the store or trained now.</summary>
    public StoredRun<UniSslModel, SslPretrainMetrics> UniSsl(int seed, Action<StepRecord>? onStep = null, UniSslConfig? config = null)
    {
        config ??= Recipe.UniSsl;
        var train = Recipe.PretrainUniSsl with { Seed = seed };
        var key = new RunKey("unissl-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, UniSsl = config, Pretrain = train }, seed);
        var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new UniSslModel(config); }, model =>
        {
            log?.Invoke($"pretraining {key}: K = {config.Points}, S = {config.WindowTokens} tokens");
            var clock = Stopwatch.StartNew();
            var sim = new List<double>();
            var pixel = new List<double>();
            var losses = model.Steps(Train.Images, train, (s, p) => { sim.Add(s); pixel.Add(p); }).Collect(onStep).Select(s => s.Loss).ToList();
            return new SslPretrainMetrics(losses, sim, pixel, clock.Elapsed.TotalSeconds, model.ParameterCount);
        });
        if (run.Loaded) log?.Invoke($"loaded {key} from {run.Folder}");
        run.Model.eval();
        return run;
    }

    /// <summary>MAE (Transformer decoder, mask ratio 0.75) pretrained on the same images and budget.</summary>
    public StoredRun<MaskedAutoencoder, SslPretrainMetrics> Mae(int seed, Action<StepRecord>? onStep = null)
    {
        var config = Recipe.Mae;
        var train = Recipe.PretrainMae with { Seed = seed };
        var key = new RunKey("mae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Mae = config, Pretrain = train }, seed);
        var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new MaskedAutoencoder(config); }, mae =>
        {
            log?.Invoke($"pretraining {key}");
            var clock = Stopwatch.StartNew();
            var losses = MaePretraining.Steps(mae, Train.Images, train).Collect(onStep).Select(s => s.Loss).ToList();
            return new SslPretrainMetrics(losses, [], [], clock.Elapsed.TotalSeconds, mae.ParameterCount);
        });
        if (run.Loaded) log?.Invoke($"loaded {key} from {run.Folder}");
        run.Model.eval();
        return run;
    }

    // ---------------------------------------------------------------- probes

    /// <summary>Fine-tune (with the held-out accuracy after each epoch), 10 %-label fine-tune, linear probe and k-NN of an encoder (stored).</summary>
    public ProbeScores Evaluate(VisionTransformer encoder, string name, int seed, FeatureKind feature, bool fineTuneOnly = false)
    {
        var key = new RunKey("unissl-eval", new
        {
            Encoder = name, Recipe.TestImages, Recipe.TrainImages, FewLabels = FewLabels.Count, Feature = feature, FineTuneOnly = fineTuneOnly,
            FineTune = Recipe.FineTune with { Seed = seed }, FineTuneFew = Recipe.FineTuneFew with { Seed = seed }, Linear = Recipe.Linear with { Seed = seed }, Recipe.KnnK,
        }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"evaluating {key}: {name}");
            var (accuracy, curve) = FineTuneWithCurve(encoder, Train, Recipe.FineTune with { Seed = seed });
            if (fineTuneOnly) return new ProbeScores(accuracy, double.NaN, double.NaN, double.NaN, curve);
            var (few, _) = FineTuneWithCurve(encoder, FewLabels, Recipe.FineTuneFew with { Seed = seed }, curve: false);
            using var trainFeatures = Features.Extract(encoder, Train.Images, feature);
            using var testFeatures = Features.Extract(encoder, Test.Images, feature);
            var linear = LinearProbe.OnFeatures(trainFeatures, Train.Labels, testFeatures, Test.Labels, Train.NumClasses, Recipe.Linear with { Seed = seed }).Accuracy;
            var knn = Knn.OnFeatures(trainFeatures, Train.Labels, testFeatures, Test.Labels, Train.NumClasses, Recipe.KnnK).Accuracy;
            return new ProbeScores(accuracy, few, linear, knn, curve);
        }).Metrics;
    }

    /// <summary>The same probes on a random encoder of the recipe's shape (seeded).</summary>
    public ProbeScores EvaluateRandom(int seed)
    {
        Seeds.Set(seed);
        using var encoder = new VisionTransformer(Recipe.Encoder);
        return Evaluate(encoder, $"random-init-{Recipe.Encoder.Width}x{Recipe.Encoder.Depth}-p{Recipe.Encoder.PatchSize}-seed{seed}", seed, FeatureKind.MeanPatch);
    }

    /// <summary>
    /// Raw pixels: the encoders' linear probe and k-NN on the standardised pixels (<see cref="RawPixels.Run"/>; no fine-tune:
    /// there is no encoder). Deterministic but for the probe's seed.
    /// </summary>
    public ProbeScores EvaluateRawPixels(int seed)
    {
        var key = new RunKey("rawpixel-eval", new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.TestImages, Linear = Recipe.Linear with { Seed = seed }, Recipe.KnnK, Pixels = "standardised" }, seed);
        return Store.GetOrCompute(key, () =>
        {
            var raw = RawPixels.Run(Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.Linear with { Seed = seed }, Recipe.KnnK);
            return new ProbeScores(double.NaN, double.NaN, raw.Linear.Accuracy, raw.Knn.Accuracy, []);
        }).Metrics;
    }

    /// <summary>
    /// MAE's fine-tune (<see cref="FineTuning"/>: global pool, layer decay 0.75) on <paramref name="data"/>, with the held-out
    /// accuracy <see cref="UniSslRecipe.CurvePointsPerEpoch"/> times per epoch when <paramref name="curve"/> (Fig. 5b); the
    /// last point is the final accuracy. The caller's encoder is left as it was.
    /// </summary>
    public (double Accuracy, double[] Curve) FineTuneWithCurve(VisionTransformer encoder, ImageDataset data, TrainConfig config, bool curve = true)
    {
        Seeds.Set(config.Seed);
        using var model = new Classifier(FineTuning.Copy(encoder), data.NumClasses);
        long every = Math.Max(1, data.Count / config.BatchSize / Math.Max(1, Recipe.CurvePointsPerEpoch));
        var accuracies = new List<double>();
        Trainer.Steps(model, data.Images, data.Labels, (x, y, _) => TorchSharp.torch.nn.functional.cross_entropy(model.forward(x), y!), config,
                model.Encoder.named_parameters().Select(np => (np.name, np.parameter))
                    .Concat(model.named_parameters().Where(np => !np.name.StartsWith("encoder.")).Select(np => (np.name, np.parameter))),
                Optim.LayerDecay(encoder.Config.Depth, FineTuning.DefaultLayerDecay))
            .Collect(step =>
            {
                if (curve && (step.Step + 1) % every == 0)
                {
                    model.eval();
                    accuracies.Add(Features.Accuracy(model.forward, Test.Images, Test.Labels));
                    model.train();
                }
            });
        model.eval();
        double accuracy = curve && accuracies.Count > 0 ? accuracies[^1] : Features.Accuracy(model.forward, Test.Images, Test.Labels);
        return (accuracy, accuracies.ToArray());
    }

    // ---------------------------------------------------------------- tables

    /// <summary>Table 2: MAE, DINO and Uni-SSL at every seed, pretrained and probed; random init and raw pixels at every seed.</summary>
    public IReadOnlyList<MethodRun> Table2Runs(Action<MethodRun>? onRun = null, Action<string, StepRecord>? onStep = null)
    {
        var runs = new List<MethodRun>();
        void Add(MethodRun r) { runs.Add(r); onRun?.Invoke(r); }
        foreach (var seed in Recipe.Seeds)
        {
            var uni = UniSsl(seed, s => onStep?.Invoke("Uni-SSL", s));
            Add(Row("Uni-SSL", seed, Probed(uni.Model), ProbedName(uni.Folder), FeatureKind.MeanPatch, uni.Metrics));
            uni.Model.Dispose();
            var dino = Dino(seed, s => onStep?.Invoke("DINO", s));
            Add(Row("DINO", seed, Probed(dino.Model), ProbedName(dino.Folder), FeatureKind.Cls, dino.Metrics));
            dino.Model.Dispose();
            var mae = Mae(seed, s => onStep?.Invoke("MAE", s));
            Add(Row("MAE", seed, mae.Model.Encoder, Path.GetFileName(mae.Folder), FeatureKind.Cls, mae.Metrics));
            mae.Model.Dispose();
            Seeds.Set(seed);
            using (var random = new VisionTransformer(Recipe.Encoder))
                Add(new MethodRun("random init", seed, EvaluateRandom(seed), 0, double.NaN, AttentionDistance.OfEncoder(random, AnalysisImages)));
            Add(new MethodRun("raw pixels", seed, EvaluateRawPixels(seed), 0, double.NaN, []));
        }
        return runs;
    }

    /// <summary>The encoder this recipe probes and measures: the EMA teacher or the student (<see cref="UniSslRecipe.ProbeTeacher"/>).</summary>
    public VisionTransformer Probed(DinoModel model) => Recipe.ProbeTeacher ? model.Encoder : model.Student.Backbone;
    public VisionTransformer Probed(UniSslModel model) => Recipe.ProbeTeacher ? model.Encoder : model.Student.Backbone;
    string ProbedName(string folder) => Path.GetFileName(folder) + (Recipe.ProbeTeacher ? "" : "/student");

    MethodRun Row(string method, int seed, VisionTransformer encoder, string name, FeatureKind feature, SslPretrainMetrics metrics) =>
        new(method, seed, Evaluate(encoder, name, seed, feature), metrics.Seconds, metrics.Loss[^1],
            AttentionDistance.OfEncoder(encoder, AnalysisImages));

    /// <summary>Table 3 (<paramref name="points"/>: K) or Table 4 (otherwise: S): Uni-SSL at the first seed per value, fine-tuned (with its curve).</summary>
    public IReadOnlyList<(int Value, double FineTune, double FinalLoss)> Sweep(bool points, Action<int, double>? onValue = null)
    {
        var result = new List<(int, double, double)>();
        int seed = Recipe.Seeds[0];
        foreach (var v in points ? Recipe.PointsSweep : Recipe.WindowSweep)
        {
            var config = points ? Recipe.UniSsl with { Points = v } : Recipe.UniSsl with { WindowTokens = v };
            var run = UniSsl(seed, config: config);
            // the recipe's own K and S is Table 2's run: its full evaluation is already stored
            var scores = Evaluate(Probed(run.Model), ProbedName(run.Folder), seed, FeatureKind.MeanPatch, fineTuneOnly: config != Recipe.UniSsl);
            result.Add((v, scores.FineTune, run.Metrics.Loss[^1]));
            run.Model.Dispose();
            onValue?.Invoke(v, scores.FineTune);
        }
        return result;
    }
}
