using NotebookSsl.Runs;
using NotebookSsl.Analysis;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.MultiViewMae;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.MultiViewMae;

/// <summary>Notebook 06's runs at one size, on top of the shared <see cref="ProbeRecipe"/>.</summary>
public sealed record MultiViewStudyRecipe
{
    public ProbeRecipe Probe { get; init; } = new();
    /// <summary>
    /// The MV-MAE of the main comparison: the MAE baseline's encoder, decoder and 75 % mask ratio (so the views and
    /// the contrast are the only differences), λ = 2 (the paper's best, Table 5), τ = 0.07.
    /// </summary>
    public MultiViewMaeConfig MvMae { get; init; } = new();
    /// <summary>Seeds of Table 6's ablations (the main MV-MAE and MAE runs at those seeds are reused).</summary>
    public IReadOnlyList<int> AblationSeeds { get; init; } = [0];
    /// <summary>Table 5's mask ratios, λ values and decoder depths: one is changed at a time from the main MV-MAE.</summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [0.5, 0.75, 0.9];
    public IReadOnlyList<double> Lambdas { get; init; } = [0.5, 1.0, 2.0];
    public IReadOnlyList<int> DecoderDepths { get; init; } = [1, 2, 4];
    /// <summary>Seeds of Table 5.</summary>
    public IReadOnlyList<int> SweepSeeds { get; init; } = [0];
    /// <summary>Fine-tune every Table 5 model (the paper's metric); otherwise the frozen probes only.</summary>
    public bool SweepFineTune { get; init; } = true;

    public static MultiViewStudyRecipe For(RunSize size)
    {
        var probe = ProbeRecipe.For(size);
        var main = new MultiViewMaeConfig { Mae = probe.MaeBaseline(), ContrastiveWeight = 2.0, Temperature = 0.07, CropScaleMin = probe.CropScaleMin };
        return size switch
        {
            RunSize.Smoke => new MultiViewStudyRecipe
            {
                Probe = probe, MvMae = main, AblationSeeds = [0],
                MaskRatios = [0.5, 0.75], Lambdas = [1.0, 2.0], DecoderDepths = [1, 2], SweepSeeds = [0], SweepFineTune = true,
            },
            // 3 seeds of MV-MAE and MAE, 2 of each ablation; Table 5 at 3 points per axis (the paper: 5), one seed. λ = 0
            // and λ = 2 are Table 6's "w/o contrastive" and the main MV-MAE (loaded), so the sweep trains 5 new models
            RunSize.Quick => new MultiViewStudyRecipe
            {
                Probe = probe, MvMae = main, AblationSeeds = [0, 1],
                MaskRatios = [0.5, 0.75, 0.9], Lambdas = [0.0, 0.5, 2.0], DecoderDepths = [1, 2, 4], SweepSeeds = [0], SweepFineTune = true,
            },
            RunSize.Full => new MultiViewStudyRecipe
            {
                Probe = probe, MvMae = main with { Mae = main.Mae with { DecoderDepth = 4 } }, AblationSeeds = probe.Seeds,
                MaskRatios = [0.5, 0.75, 0.8, 0.9, 0.95], Lambdas = [0.1, 0.5, 1.0, 1.5, 2.0], DecoderDepths = [1, 2, 4, 8], SweepSeeds = probe.Seeds,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(size)),
        };
    }
}

/// <summary>One point of Table 5: which axis was changed, to what, and the scores.</summary>
public sealed record SweepRun(string Axis, double Value, int Seed, ProbeScores Scores, double FinalLoss);

/// <summary>
/// Notebook 06: multi-view MAE against MAE (fine-tune, linear and attentive probes), Table 5's sweeps and
/// Table 6's ablations; every model and every probe score kept in the run store.
/// </summary>
public sealed class MultiViewStudy
{
    public MultiViewStudy(MultiViewStudyRecipe recipe, StudyContext context) => (Recipe, Context) = (recipe, context);

    public MultiViewStudyRecipe Recipe { get; }
    public StudyContext Context { get; }

    /// <summary>The study's size switch (see <see cref="MultiViewStudyRecipe.For"/>).</summary>
    public static MultiViewStudyRecipe RecipeFor(RunSize size) => MultiViewStudyRecipe.For(size);

    public static MultiViewStudy Open(RunSize size, IReadOnlyList<int>? seeds = null, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var recipe = RecipeFor(size);
        if (seeds is { Count: > 0 }) recipe = recipe with { Probe = recipe.Probe with { Seeds = seeds } };
        return new MultiViewStudy(recipe, StudyContext.Open(recipe.Probe, store, log, dataRoot));
    }

    /// <summary>A multi-view MAE pretrained on the train images (stored as kind "mv-mae").</summary>
    public StoredRun<MultiViewMaskedAutoencoder, PretrainRecord> PretrainMvMae(MultiViewMaeConfig config, int seed, Action<StepRecord>? onStep = null) =>
        Context.Pretrain("mv-mae", config, seed, () => new MultiViewMaskedAutoencoder(config),
            (model, train) => MultiViewMaskedAutoencoder.Steps(model, Context.Train.Images, train), model => model.ParameterCount, onStep);

    /// <summary>The MAE baseline (shared with notebook 05 through the store).</summary>
    public StoredRun<MaskedAutoencoder, PretrainRecord> PretrainMae(int seed, Action<StepRecord>? onStep = null) =>
        Context.PretrainMae(Recipe.Probe.MaeBaseline(), seed, onStep);

    /// <summary>Notebook 06 reports fine-tuning and the linear probe (the paper's two); the attentive probe is notebook 05's.</summary>
    MethodRun Scored(string method, string folder, PretrainRecord metrics, Models.VisionTransformer encoder, int seed, bool fineTune) =>
        new(method, seed, Context.Score(encoder, Path.GetFileName(folder), seed, fineTune, attentive: false), metrics.Loss[^1], metrics.Seconds);

    MethodRun MvMaeRun(string method, MultiViewMaeConfig config, int seed, bool fineTune, Action<string, StepRecord>? onStep)
    {
        var run = PretrainMvMae(config, seed, s => onStep?.Invoke($"{method} seed {seed}", s));
        using (run.Model) return Scored(method, run.Folder, run.Metrics, run.Model.Encoder, seed, fineTune);
    }

    MethodRun MaeRun(int seed, Action<string, StepRecord>? onStep)
    {
        var run = PretrainMae(seed, s => onStep?.Invoke($"MAE seed {seed}", s));
        using (run.Model) return Scored("MAE", run.Folder, run.Metrics, run.Model.Encoder, seed, true);
    }

    /// <summary>MV-MAE vs MAE (every probe, every seed), then the random-init and raw-pixel baselines.</summary>
    public IReadOnlyList<MethodRun> MainRuns(Action<string, StepRecord>? onStep = null, Action<MethodRun>? onRun = null)
    {
        var runs = new List<MethodRun>();
        void Add(MethodRun r) { runs.Add(r); onRun?.Invoke(r); }
        foreach (var seed in Recipe.Probe.Seeds)
        {
            Add(MvMaeRun("MV-MAE", Recipe.MvMae, seed, true, onStep));
            Add(MaeRun(seed, onStep));
        }
        foreach (var seed in Recipe.Probe.Seeds) Add(new MethodRun("random init", seed, Context.ScoreRandom(seed, attentive: false), double.NaN, 0));
        foreach (var seed in Recipe.Probe.Seeds) Add(new MethodRun("raw pixels", seed, Context.ScoreRawPixels(seed), double.NaN, 0));
        return runs;
    }

    /// <summary>Table 6: MV-MAE, without two different targets (one view masked twice), without the contrastive loss, and the MAE baseline.</summary>
    public IReadOnlyList<MethodRun> Table6Runs(Action<string, StepRecord>? onStep = null, Action<MethodRun>? onRun = null)
    {
        var runs = new List<MethodRun>();
        void Add(MethodRun r) { runs.Add(r); onRun?.Invoke(r); }
        foreach (var (name, config) in new (string, MultiViewMaeConfig)[]
                 {
                     ("MV-MAE", Recipe.MvMae), ("w/o two targets", Recipe.MvMae with { TwoTargets = false }),
                     ("w/o contrastive", Recipe.MvMae with { ContrastiveWeight = 0 }),
                 })
            foreach (var seed in Recipe.AblationSeeds) Add(MvMaeRun(name, config, seed, true, onStep));
        foreach (var seed in Recipe.AblationSeeds) Add(MaeRun(seed, onStep));
        return runs;
    }

    /// <summary>Table 5: one MV-MAE per mask ratio, λ and decoder depth (the main MV-MAE is each axis's default point).</summary>
    public IReadOnlyList<SweepRun> Table5Runs(Action<string, StepRecord>? onStep = null, Action<SweepRun>? onRun = null)
    {
        var main = Recipe.MvMae;
        var points = Recipe.MaskRatios.Select(r => ("mask ratio", r, main with { Mae = main.Mae with { MaskRatio = r } }))
            .Concat(Recipe.Lambdas.Select(l => ("λ", l, main with { ContrastiveWeight = l })))
            .Concat(Recipe.DecoderDepths.Select(d => ("decoder depth", (double)d, main with { Mae = main.Mae with { DecoderDepth = d } })));
        var runs = new List<SweepRun>();
        foreach (var (axis, value, config) in points)
            foreach (var seed in Recipe.SweepSeeds)
            {
                var r = MvMaeRun($"{axis} {value:g}", config, seed, Recipe.SweepFineTune, onStep);
                var point = new SweepRun(axis, value, seed, r.Scores, r.FinalLoss);
                runs.Add(point);
                onRun?.Invoke(point);
            }
        return runs;
    }
}
