using NotebookSsl.Runs;
using NotebookSsl.Analysis;
using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.Cae;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.Cae;

/// <summary>Notebook 05's runs at one size, on top of the shared <see cref="ProbeRecipe"/>.</summary>
public sealed record CaeStudyRecipe
{
    public ProbeRecipe Probe { get; init; } = new();
    /// <summary>The CAE of the main comparison (its encoder is <see cref="ProbeRecipe.Encoder"/>).</summary>
    public CaeConfig Cae { get; init; } = new();
    /// <summary>Seeds of Table 2's ablations (each also has the main CAE at the same seeds).</summary>
    public IReadOnlyList<int> AblationSeeds { get; init; } = [0];
    /// <summary>Table 5's mask ratios (0.5 is the main CAE, loaded from the store).</summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [0.4, 0.5, 0.6];
    /// <summary>Seeds of Table 5.</summary>
    public IReadOnlyList<int> MaskRatioSeeds { get; init; } = [0];
    /// <summary>Held-out images Fig. 3's reconstruction error averages over (the first ones are shown).</summary>
    public int ReconstructionImages { get; init; } = 256;

    public static CaeStudyRecipe For(RunSize size)
    {
        var probe = ProbeRecipe.For(size);
        return size switch
        {
            RunSize.Smoke => new CaeStudyRecipe
            {
                Probe = probe, Cae = new CaeConfig { Encoder = probe.Encoder, RegressorDepth = 1, DecoderDepth = 1 },
                AblationSeeds = [0], MaskRatios = [0.4, 0.5, 0.6], MaskRatioSeeds = [0], ReconstructionImages = 16,
            },
            // 3 seeds of CAE and MAE (fine-tuned), 2 seeds of each ablation and of each other mask ratio: 16 pretrainings
            RunSize.Quick => new CaeStudyRecipe
            {
                Probe = probe, Cae = new CaeConfig { Encoder = probe.Encoder, RegressorDepth = 2, DecoderDepth = 2 },
                AblationSeeds = [0, 1], MaskRatios = [0.4, 0.5, 0.6], MaskRatioSeeds = [0, 1], ReconstructionImages = 256,
            },
            // the paper's 4 + 4 blocks
            RunSize.Full => new CaeStudyRecipe
            {
                Probe = probe, Cae = new CaeConfig { Encoder = probe.Encoder, RegressorDepth = 4, DecoderDepth = 4 },
                AblationSeeds = probe.Seeds, MaskRatios = [0.4, 0.5, 0.6], MaskRatioSeeds = probe.Seeds, ReconstructionImages = 1000,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(size)),
        };
    }
}

/// <summary>Fig. 3's measurement for one CAE: the error of encoder → decoder on whole images, skipping the regressor.</summary>
/// <param name="Mse">MSE against the normalised pixels of every patch, over the held-out images (0 is perfect; 1 is predicting each patch's mean).</param>
public sealed record SkipReconstruction(string Method, int Seed, double Mse);

/// <summary>
/// Notebook 05: CAE against MAE on three probes, Table 2's ablations, Table 5's mask ratios and Fig. 3's
/// reconstruction skipping the regressor; every model and every probe score kept in the run store.
/// </summary>
public sealed class CaeStudy
{
    readonly Action<string>? log;

    public CaeStudy(CaeStudyRecipe recipe, StudyContext context, Action<string>? log = null) =>
        (Recipe, Context, this.log) = (recipe, context, log);

    public CaeStudyRecipe Recipe { get; }
    public StudyContext Context { get; }

    /// <summary>The study's size switch (see <see cref="CaeStudyRecipe.For"/>).</summary>
    public static CaeStudyRecipe RecipeFor(RunSize size) => CaeStudyRecipe.For(size);

    public static CaeStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = RecipeFor(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Probe = recipe.Probe with { Seeds = seeds } };
        return new CaeStudy(recipe, StudyContext.Open(recipe.Probe, store, log, dataRoot), log);
    }

    /// <summary>The main CAE with Table 2's or Table 5's change.</summary>
    public CaeConfig Variant(bool decoder = true, bool alignment = true, double? maskRatio = null) => Recipe.Cae with
    {
        UseDecoder = decoder, DecoderDepth = decoder ? Recipe.Cae.DecoderDepth : 0,
        AlignmentWeight = alignment ? Recipe.Cae.AlignmentWeight : 0, MaskRatio = maskRatio ?? Recipe.Cae.MaskRatio,
    };

    /// <summary>A CAE pretrained on one view per image (stored as kind "cae").</summary>
    public StoredRun<ContextAutoencoder, PretrainRecord> PretrainCae(CaeConfig config, int seed, Action<StepRecord>? onStep = null) =>
        Context.Pretrain("cae", config, seed, () => new ContextAutoencoder(config),
            (cae, train) => ContextAutoencoder.Steps(cae, Context.Train.Images, train, Context.View), cae => cae.ParameterCount, onStep);

    /// <summary>The MAE baseline (shared with notebook 06 through the store).</summary>
    public StoredRun<MaskedAutoencoder, PretrainRecord> PretrainMae(int seed, Action<StepRecord>? onStep = null) =>
        Context.PretrainMae(Recipe.Probe.MaeBaseline(), seed, onStep);

    MethodRun Scored<T>(string method, StoredRun<T, PretrainRecord> run, int seed, bool fineTune, Models.VisionTransformer encoder)
        where T : nn.Module
    {
        var scores = Context.Score(encoder, Path.GetFileName(run.Folder), seed, fineTune);
        return new MethodRun(method, seed, scores, run.Metrics.Loss[^1], run.Metrics.Seconds);
    }

    /// <summary>CAE vs MAE (every probe, every seed), then the random-init and raw-pixel baselines.</summary>
    public IReadOnlyList<MethodRun> MainRuns(Action<string, StepRecord>? onStep = null, Action<MethodRun>? onRun = null)
    {
        var runs = new List<MethodRun>();
        void Add(MethodRun r) { runs.Add(r); onRun?.Invoke(r); }
        foreach (var seed in Recipe.Probe.Seeds)
        {
            var cae = PretrainCae(Recipe.Cae, seed, s => onStep?.Invoke($"CAE seed {seed}", s));
            using (cae.Model) Add(Scored("CAE", cae, seed, true, cae.Model.Encoder));
            var mae = PretrainMae(seed, s => onStep?.Invoke($"MAE seed {seed}", s));
            using (mae.Model) Add(Scored("MAE", mae, seed, true, mae.Model.Encoder));
        }
        foreach (var seed in Recipe.Probe.Seeds) Add(new MethodRun("random init", seed, Context.ScoreRandom(seed), double.NaN, 0));
        foreach (var seed in Recipe.Probe.Seeds) Add(new MethodRun("raw pixels", seed, Context.ScoreRawPixels(seed), double.NaN, 0));
        return runs;
    }

    /// <summary>
    /// Table 2: the CAE, without the alignment, without the decoder, and without both (the paper's rows are the first, the
    /// second and the last); frozen probes only, as the paper reports the attentive probe.
    /// </summary>
    public IReadOnlyList<MethodRun> Table2Runs(Action<string, StepRecord>? onStep = null, Action<MethodRun>? onRun = null) =>
        Variants(Recipe.AblationSeeds, new (string, CaeConfig)[]
        {
            ("CAE", Variant()), ("w/o alignment", Variant(alignment: false)), ("w/o decoder", Variant(decoder: false)),
            ("w/o decoder & alignment", Variant(decoder: false, alignment: false)),
        }, onStep, onRun);

    /// <summary>Table 5: the CAE at each mask ratio.</summary>
    public IReadOnlyList<MethodRun> Table5Runs(Action<string, StepRecord>? onStep = null, Action<MethodRun>? onRun = null) =>
        Variants(Recipe.MaskRatioSeeds, Recipe.MaskRatios.Select(r => ($"mask {r:P0}", Variant(maskRatio: r))).ToArray(), onStep, onRun);

    IReadOnlyList<MethodRun> Variants(IReadOnlyList<int> seeds, (string Name, CaeConfig Config)[] variants,
        Action<string, StepRecord>? onStep, Action<MethodRun>? onRun)
    {
        var runs = new List<MethodRun>();
        foreach (var (name, config) in variants)
            foreach (var seed in seeds)
            {
                var run = PretrainCae(config, seed, s => onStep?.Invoke($"{name} seed {seed}", s));
                using var model = run.Model;
                var r = Scored(name, run, seed, false, model.Encoder);
                runs.Add(r);
                onRun?.Invoke(r);
            }
        return runs;
    }

    /// <summary>Fig. 3: encoder → decoder on whole held-out images, skipping the regressor, with and without the alignment, per ablation seed.</summary>
    public IReadOnlyList<SkipReconstruction> SkipReconstructions()
    {
        var images = Context.Test.Images.slice(0, 0, Math.Min(Recipe.ReconstructionImages, Context.Test.Count), 1);
        var result = new List<SkipReconstruction>();
        foreach (var (name, config) in new[] { ("with alignment", Variant()), ("w/o alignment", Variant(alignment: false)) })
            foreach (var seed in Recipe.AblationSeeds)
            {
                using var cae = PretrainCae(config, seed).Model;
                result.Add(new SkipReconstruction(name, seed, SkipError(cae, images)));
            }
        return result;
    }

    /// <summary>MSE of <see cref="ContextAutoencoder.ReconstructSkippingRegressor"/> against the target pixels of every patch.</summary>
    public static double SkipError(ContextAutoencoder cae, Tensor images)
    {
        using var scope = NewDisposeScope();
        var pred = cae.ReconstructSkippingRegressor(images);                                                   // [N, L, p²C]
        var target = MaeLoss.Target(Patches.Patchify(images, cae.Config.Encoder.PatchSize), cae.Config.NormPixLoss);
        return nn.functional.mse_loss(pred, target).item<float>();
    }

    /// <summary>Fig. 3's picture: the images, then the reconstructions of each CAE (seed <paramref name="seed"/>), as [rows·n, C, H, W].</summary>
    public Tensor SkipReconstructionGrid(int count = 8, int seed = 0)
    {
        var images = Context.Test.Images.slice(0, 0, Math.Min(count, Context.Test.Count), 1);
        var rows = new List<Tensor> { images };
        foreach (var config in new[] { Variant(), Variant(alignment: false) })
        {
            using var cae = PretrainCae(config, seed).Model;
            rows.Add(cae.ToPixels(images, cae.ReconstructSkippingRegressor(images)));
        }
        return cat(rows, 0);
    }
}
