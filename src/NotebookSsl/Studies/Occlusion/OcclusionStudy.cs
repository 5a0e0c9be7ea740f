using System.Diagnostics;
using NotebookSsl.Analysis;
using NotebookSsl.Data;
using NotebookSsl.Runs;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Methods.RMae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.Occlusion;

/// <summary>The pretraining families notebook 03 compares.</summary>
public enum Family { Mae, RMae, CMae, MocoV3 }

/// <summary>What an MAE sees besides its mask (relaxmim Tables 4 and 5).</summary>
public enum MaeAugment
{
    /// <summary>The plain MAE.</summary>
    None,
    /// <summary>Colour jitter on the whole image before MAE (targets jittered too: Table 4's "whole image").</summary>
    ColorJitter,
    /// <summary>CutMix, then colour jitter, then MAE (Table 5).</summary>
    CutMixColorJitter,
    /// <summary>No patch masking: an autoencoder of colour-jittered images, loss on every patch (Table 5).</summary>
    NoMaskColorJitter,
}

/// <summary>One pretraining method of notebook 03: a display name, a family and that family's settings.</summary>
public sealed record Method(string Name, Family Family, MaeAugment Augment = MaeAugment.None, RMaeConfig? RMae = null, CMaeConfig? CMae = null)
{
    public override string ToString() => Name;
}

/// <summary>What a pretraining left: the loss curve, its time and the model's size (was notebook 01's record).</summary>
public sealed record PretrainMetrics(IReadOnlyList<double> Loss, double Seconds, long Parameters, long DecoderParameters);

/// <summary>A pretrained encoder from the store (the owner module holds it; dispose to free it).</summary>
public sealed record Pretrained(Method Method, int Seed, VisionTransformer Encoder, MaskedAutoencoder? Mae, PretrainMetrics Metrics,
    bool Loaded, string Folder, TorchSharp.torch.nn.Module Owner) : IDisposable
{
    public void Dispose() => Owner.Dispose();
}

/// <summary>Held-out scores of one encoder: accuracies in [0, 1]; PSNR in dB on the removed patches (NaN where there is no decoder).</summary>
public sealed record ProbeScores(double FineTune, double Linear, double FewShot, double Psnr);

/// <summary>One method at one seed.</summary>
public sealed record MethodRun(string Method, int Seed, double FineTune, double Linear, double FewShot, double Psnr, double FinalLoss, double PretrainSeconds);

/// <summary>One method: mean ± std over the seeds.</summary>
public sealed record MethodRow(string Method, MeanStd FineTune, MeanStd Linear, MeanStd FewShot, MeanStd Psnr, MeanStd PretrainSeconds);

/// <summary>Fig. 1 for one encoder: CKA between full and masked images, per mask ratio (rows) and block (columns).</summary>
public sealed record CkaCurve(string Method, int Seed, IReadOnlyList<double> Ratios, double[][] Cka)
{
    /// <summary>The last block's CKA at each ratio.</summary>
    public double[] LastBlock => Cka.Select(r => r[^1]).ToArray();
    /// <summary>The mean over blocks and ratios: one number per encoder.</summary>
    public double Mean => Cka.SelectMany(r => r).Average();
}

/// <summary>
/// Notebook 03's runs (relaxmim §2–3 on Fashion-MNIST), each kept in a <see cref="RunStore"/>: pretraining of MAE,
/// R-MAE, C-MAE and MoCo v3 variants at every seed; their held-out probes (fine-tune, linear, 10 % fine-tune, PSNR);
/// random-init and raw-pixel baselines; the size's supervised ViT (References.Supervised); CKA of full vs masked images.
/// </summary>
public sealed class OcclusionStudy
{
    readonly Action<string>? log;

    public OcclusionStudy(RunSize size, OcclusionRecipe recipe, RunStore store, ImageDataset train, ImageDataset test, Action<string>? log = null)
    {
        Size = size;
        Recipe = recipe;
        Store = store;
        Train = train;
        Test = test;
        this.log = log;
        if (train.Count < recipe.Pretrain.BatchSize) throw new ArgumentException($"{train.Count} train images are fewer than one batch of {recipe.Pretrain.BatchSize}.", nameof(train));
        if (test.Count < 2) throw new ArgumentException("the study needs at least 2 held-out images.", nameof(test));
    }

    public RunSize Size { get; }
    public OcclusionRecipe Recipe { get; }
    public RunStore Store { get; }
    public ImageDataset Train { get; }
    public ImageDataset Test { get; }
    public Tensor AnalysisImages => Test.Images.slice(0, 0, Math.Min(Recipe.AnalysisImages, Test.Count), 1);

    /// <summary>Loads the recipe's Fashion-MNIST subsets and opens the store (default folder unless given).</summary>
    public static OcclusionStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = OcclusionRecipe.For(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Seeds = seeds };
        var (train, test) = FashionMnist.LoadSubsets(recipe.TrainImages, recipe.TestImages, dataRoot);
        return new OcclusionStudy(size, recipe, store ?? new RunStore(), train, test, log);
    }

    // ---------------------------------------------------------------- the methods

    public Method Mae(MaeAugment augment = MaeAugment.None, string? name = null) => new(name ?? augment switch
    {
        MaeAugment.None => "MAE",
        MaeAugment.ColorJitter => "MAE + colour jitter",
        MaeAugment.CutMixColorJitter => "MAE + cutmix + colour",
        _ => "AE + colour (no masking)",
    }, Family.Mae, augment);

    public Method RMae(RMaeTarget t2 = RMaeTarget.Complement, string? name = null) => new(name ?? t2 switch
    {
        RMaeTarget.Complement => "R-MAE",
        RMaeTarget.RandomMask => "R-MAE†",
        _ => "R-MAE‡",
    }, Family.RMae, RMae: new RMaeConfig { T2 = t2 });

    /// <summary>C-MAE with the recipe's heads and momentum, changed by <paramref name="change"/>.</summary>
    public Method CMae(string name = "C-MAE", Func<CMaeConfig, CMaeConfig>? change = null) =>
        new(name, Family.CMae, CMae: (change ?? (c => c))(Recipe.CMae with { MaskRatio = Recipe.Mae.MaskRatio }));

    public Method MocoV3() => new("MoCo v3", Family.MocoV3);

    // ---------------------------------------------------------------- pretraining

    RunKey KeyOf(Method method, int seed) => method.Family switch
    {
        // the plain MAE's key is the one notebook 01's DecoderStudy used (before the shared Study)
        Family.Mae when method.Augment == MaeAugment.None =>
            new("mae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Mae = Recipe.Mae, Pretrain = Recipe.Pretrain with { Seed = seed } }, seed),
        Family.Mae => new("mae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Mae = Recipe.Mae, Pretrain = Recipe.Pretrain with { Seed = seed }, method.Augment }, seed),
        Family.RMae => new("rmae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, Mae = Recipe.Mae, RMae = method.RMae, Pretrain = Recipe.Pretrain with { Seed = seed } }, seed),
        Family.CMae => new("cmae-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, CMae = method.CMae, Pretrain = Recipe.Contrastive with { Seed = seed } }, seed),
        Family.MocoV3 => new("mocov3-pretrain", new { Data = "fashion-mnist", Recipe.TrainImages, MocoV3 = Recipe.MocoV3, Pretrain = Recipe.Contrastive with { Seed = seed } }, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>A method pretrained on the train images at one seed (from the store, or trained now and stored).</summary>
    public Pretrained Pretrain(Method method, int seed, Action<StepRecord>? onStep = null, CancellationToken cancel = default)
    {
        var key = KeyOf(method, seed);
        PretrainMetrics Record(Func<IEnumerable<StepRecord>> steps, long parameters, long decoder)
        {
            log?.Invoke($"pretraining {method.Name}, seed {seed} ({key})");
            var clock = Stopwatch.StartNew();
            var losses = new List<double>();
            foreach (var step in steps()) { losses.Add(step.Loss); onStep?.Invoke(step); }
            return new PretrainMetrics(losses, clock.Elapsed.TotalSeconds, parameters, decoder);
        }
        switch (method.Family)
        {
            case Family.Mae:
            case Family.RMae:
            {
                var train = Recipe.Pretrain with { Seed = seed };
                var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new MaskedAutoencoder(Recipe.Mae); }, mae => Record(() =>
                    method.Family == Family.RMae ? RelaxedMae.Steps(mae, Train.Images, method.RMae!, train, cancel: cancel) : MaeSteps(mae, method.Augment, train, cancel),
                    mae.ParameterCount, mae.DecoderParameterCount));
                run.Model.eval();
                return new Pretrained(method, seed, run.Model.Encoder, run.Model, run.Metrics, run.Loaded, run.Folder, run.Model);
            }
            case Family.CMae:
            {
                var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new ContrastiveMae(method.CMae!); }, model => Record(() =>
                    ContrastiveMae.Steps(model, Train.Images, Recipe.Contrastive with { Seed = seed }, cancel),
                    model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), 0));
                run.Model.eval();
                return new Pretrained(method, seed, run.Model.Encoder, null, run.Metrics, run.Loaded, run.Folder, run.Model);
            }
            default:
            {
                var run = Store.GetOrTrain(key, () => { Seeds.Set(seed); return new MoCo(Recipe.MocoV3); }, model => Record(() =>
                    MoCo.Steps(model, Train.Images, Recipe.Contrastive with { Seed = seed }, cancel),
                    model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), 0));
                run.Model.eval();
                return new Pretrained(method, seed, run.Model.Encoder, null, run.Metrics, run.Loaded, run.Folder, run.Model);
            }
        }
    }

    IEnumerable<StepRecord> MaeSteps(MaskedAutoencoder mae, MaeAugment augment, TrainConfig train, CancellationToken cancel)
    {
        Tensor Jitter(Tensor x, Generator g) => Augment.ColorJitter(x, g, 0.4, 0.4, 0.4, 0.1, p: 0.8);
        return augment switch
        {
            MaeAugment.None => Trainer.Steps(mae, Train.Images, null, (x, _, g) => mae.Forward(x, generator: g).Loss, train, cancel: cancel),
            MaeAugment.ColorJitter => Trainer.Steps(mae, Train.Images, null, (x, _, g) => mae.Forward(Jitter(x, g), generator: g).Loss, train, cancel: cancel),
            MaeAugment.CutMixColorJitter => Trainer.Steps(mae, Train.Images, null, (x, _, g) => mae.Forward(Jitter(Augment.CutMix(x, g), g), generator: g).Loss, train, cancel: cancel),
            // no patch masking: the encoder sees every patch and the loss covers every patch
            _ => Trainer.Steps(mae, Train.Images, null, (x, _, g) =>
            {
                var y = Jitter(x, g);                                                                      // [N, C, H, W]
                long n = y.shape[0], l = mae.Config.Encoder.NumPatches;
                var latent = mae.Encoder.Encode(mae.Encoder.EmbedPatches(y)).Latent;                       // [N, 1+L, D]
                var pred = mae.Decoder.Forward(latent, arange(l, device: y.device).unsqueeze(0).expand(n, -1)).Pred; // [N, L, p²C], no mask token
                return MaeLoss.Compute(pred, Patches.Patchify(y, mae.Config.Encoder.PatchSize), ones(n, l, device: y.device), mae.Config.NormPixLoss);
            }, train, cancel: cancel),
        };
    }

    /// <summary>The size's supervised ViT (<see cref="References.Supervised"/> through <see cref="Study"/>: the run notebook 01 measures too).</summary>
    public NotebookSsl.Studies.Pretrained Supervised(int seed)
    {
        var size = StudySize.For(Size);
        return Study.Open(size, Store, log).Pretrain(References.Supervised(size), seed);
    }

    // ---------------------------------------------------------------- probes

    /// <summary>Fine-tune, linear probe, 10 % fine-tune and masked-patch PSNR on the held-out images (stored).</summary>
    public ProbeScores Evaluate(Pretrained pretrained)
    {
        int seed = pretrained.Seed;
        var key = new RunKey("occlusion-eval", new { Pretrained = Path.GetFileName(pretrained.Folder), Recipe.TestImages, Recipe.FineTuneImages,
            FineTune = Recipe.FineTune with { Seed = seed }, FewShot = Recipe.FewShot with { Seed = seed }, Linear = Recipe.Linear with { Seed = seed } }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"evaluating {pretrained.Method.Name}, seed {seed}");
            var scores = Probe(pretrained.Encoder, seed);
            return scores with { Psnr = pretrained.Mae is { } mae ? Psnr.OfReconstruction(mae, Test.Images, seed) : double.NaN };
        }).Metrics;
    }

    /// <summary>The same probes on a randomly initialised encoder of the same shape (stored).</summary>
    public ProbeScores EvaluateRandom(int seed)
    {
        var key = new RunKey("occlusion-random-eval", new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.TestImages, Recipe.FineTuneImages, Recipe.Mae.Encoder,
            FineTune = Recipe.FineTune with { Seed = seed }, FewShot = Recipe.FewShot with { Seed = seed }, Linear = Recipe.Linear with { Seed = seed } }, seed);
        return Store.GetOrCompute(key, () =>
        {
            log?.Invoke($"evaluating random init, seed {seed}");
            Seeds.Set(seed);
            using var encoder = new VisionTransformer(Recipe.Mae.Encoder);
            return Probe(encoder, seed);
        }).Metrics;
    }

    /// <summary>The encoder's linear probe on raw pixels (<see cref="RawPixels.Linear"/>: standardised pixels; stored).</summary>
    public double RawPixelLinear(int seed)
    {
        var key = new RunKey("raw-pixel-linear", new { Data = "fashion-mnist", Recipe.TrainImages, Recipe.TestImages, Linear = Recipe.Linear with { Seed = seed }, Pixels = "standardised" }, seed);
        return Store.GetOrCompute(key, () =>
            RawPixels.Linear(Train.Images, Train.Labels, Test.Images, Test.Labels, Train.NumClasses, Recipe.Linear with { Seed = seed }).Accuracy).Metrics;
    }

    ProbeScores Probe(VisionTransformer encoder, int seed)
    {
        using var labelled = Train.Take(Math.Min(Recipe.FineTuneImages, Train.Count));
        using var few = Train.Take(Math.Min(Recipe.FewShotImages, Train.Count));
        int classes = Train.NumClasses;
        double fineTune = FineTuning.Run(encoder, labelled.Images, labelled.Labels, Test.Images, Test.Labels, classes, Recipe.FineTune with { Seed = seed }).Accuracy;
        double fewShot = FineTuning.Run(encoder, few.Images, few.Labels, Test.Images, Test.Labels, classes,
            Recipe.FewShot with { Seed = seed, BatchSize = Math.Min(Recipe.FewShot.BatchSize, few.Count) }).Accuracy;
        double linear = LinearProbe.Run(encoder, Train.Images, Train.Labels, Test.Images, Test.Labels, classes, Recipe.Linear with { Seed = seed }).Accuracy;
        return new ProbeScores(fineTune, linear, fewShot, double.NaN);
    }

    /// <summary>
    /// Every method at every seed, pretrained and probed, then the random-init and raw-pixel rows. Each model is
    /// disposed after its probes.
    /// </summary>
    /// <param name="onStep">Every pretraining step of a model trained now (to redraw a live curve).</param>
    /// <param name="onPretrained">Every pretrained model, trained or loaded (its stored curve).</param>
    public IReadOnlyList<MethodRun> Runs(IEnumerable<Method> methods, Action<MethodRun>? onRun = null, Action<Method, int, StepRecord>? onStep = null,
        Action<Pretrained>? onPretrained = null, bool baselines = true, IReadOnlyList<int>? seeds = null)
    {
        var runs = new List<MethodRun>();
        void Add(MethodRun r) { runs.Add(r); onRun?.Invoke(r); }
        seeds ??= Recipe.Seeds;
        foreach (var method in methods)
            foreach (var seed in seeds)
            {
                using var pretrained = Pretrain(method, seed, onStep is null ? null : s => onStep(method, seed, s));
                onPretrained?.Invoke(pretrained);
                var scores = Evaluate(pretrained);
                Add(new MethodRun(method.Name, seed, scores.FineTune, scores.Linear, scores.FewShot, scores.Psnr, pretrained.Metrics.Loss[^1], pretrained.Metrics.Seconds));
            }
        if (baselines)
            foreach (var seed in seeds)
            {
                var random = EvaluateRandom(seed);
                Add(new MethodRun("random init", seed, random.FineTune, random.Linear, random.FewShot, double.NaN, double.NaN, 0));
                Add(new MethodRun("raw pixels", seed, double.NaN, RawPixelLinear(seed), double.NaN, double.NaN, double.NaN, 0));
            }
        return runs;
    }

    /// <summary>Mean ± std over seeds of each method's runs, in the order they first appear.</summary>
    public static IReadOnlyList<MethodRow> Summarise(IEnumerable<MethodRun> runs) =>
        runs.GroupBy(r => r.Method).Select(g => new MethodRow(g.Key, MeanStd.Of(g.Select(r => r.FineTune)), MeanStd.Of(g.Select(r => r.Linear)),
            MeanStd.Of(g.Select(r => r.FewShot)), MeanStd.Of(g.Select(r => r.Psnr)), MeanStd.Of(g.Select(r => r.PretrainSeconds)))).ToArray();

    /// <summary>The per-seed values of one method's runs, e.g. Values(runs, "MAE", r => r.FineTune * 100).</summary>
    public static double[] Values(IEnumerable<MethodRun> runs, string method, Func<MethodRun, double> pick) =>
        runs.Where(r => r.Method == method).OrderBy(r => r.Seed).Select(pick).ToArray();

    // ---------------------------------------------------------------- CKA (Fig. 1)

    /// <summary>
    /// CKA between the encoder's features of full and of masked held-out images, per block and mask ratio. A masked
    /// image is given as MAE gives it: the encoder sees only its visible patches (any ViT can, so every method is
    /// measured alike). An image's feature at a block is the mean of its patch tokens there; linear CKA over the
    /// images (<see cref="Cka.Linear"/>). The masks are drawn from <paramref name="seed"/>.
    /// </summary>
    public CkaCurve CkaOf(string method, VisionTransformer encoder, int seed) =>
        new(method, seed, Recipe.CkaRatios, CkaCurves(encoder, AnalysisImages, Recipe.CkaRatios, seed));

    /// <summary>
    /// As <see cref="CkaOf"/> for a C-MAE encoder given masked images the way it was trained: every patch, the masked
    /// ones replaced by its learned mask token; features are the mean over all patch tokens on both sides.
    /// </summary>
    public CkaCurve CkaWithMaskTokens(string method, ContrastiveMae model, int seed) =>
        new(method, seed, Recipe.CkaRatios, CkaCurves(model.Encoder, AnalysisImages, Recipe.CkaRatios, seed,
            (images, mask) => model.Online.EmbedWithMaskTokens(images, mask)));

    /// <summary>[ratio][block] CKA of full vs masked images (see <see cref="CkaOf"/>).</summary>
    /// <param name="maskedTokens">How a masked image enters the encoder: (images, mask [A, L], 1 = masked) → tokens; null: only the visible patches.</param>
    public static double[][] CkaCurves(VisionTransformer encoder, Tensor images, IReadOnlyList<double> ratios, int seed,
        Func<Tensor, Tensor, Tensor>? maskedTokens = null)
    {
        Shapes.Image(images, encoder.Config);
        return EvalBatches.Once(encoder, () =>
        {
            var full = encoder.ForwardFeatures(images, returnHidden: true).Hidden.Select(h => h[.., 1..].mean(new long[] { 1 })).ToArray(); // blocks × [A, D]
            var generator = new Generator((ulong)seed);
            var result = new double[ratios.Count][];
            for (int r = 0; r < ratios.Count; r++)
            {
                var tokens = encoder.EmbedPatches(images);                                                         // [A, L, D]
                var noise = rand(tokens.shape[0], tokens.shape[1], generator: generator).to(images.device);
                var view = RandomMasking.Apply(tokens, ratios[r], noise);                                          // visible [A, K, D]
                var input = maskedTokens is null ? view.Visible : maskedTokens(images, view.Mask);                  // [A, K or L, D]
                var masked = encoder.Encode(input, returnHidden: true).Hidden.Select(h => h[.., 1..].mean(new long[] { 1 })).ToArray();
                result[r] = full.Zip(masked, (f, m) => Cka.Linear(f, m)).ToArray();
            }
            return result;
        });
    }

    /// <summary>notebooks/results/{name}-{size}.json at the repository root.</summary>
    public static string ResultsPath(string name, RunSize size) => ResultsFile.PathFor(name, size);
}
