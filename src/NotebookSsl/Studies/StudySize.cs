using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.Supervised;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Training;

namespace NotebookSsl.Studies;

/// <summary>
/// A size, named once (as MAE names its model factories): the data budget, the encoder every method pretrains, the
/// pretraining budget every method gets, the evaluation protocol, the seeds, and the MAE baseline. Every notebook at a
/// size uses these values, so "MAE" at quick is one model with one set of numbers wherever it appears, and a study
/// adds only its own method configs. Change a budget for one run with <c>with</c>: <c>StudySize.Quick with { Seeds = [0] }</c>.
/// </summary>
public sealed record StudySize
{
    public RunSize Name { get; init; }

    /// <summary>The encoder every method pretrains, and the random-init baseline's shape.</summary>
    public VitConfig Encoder { get; init; } = new();

    /// <summary>
    /// Pretraining optimisation, the same for every method so that each gets the same number of steps on the same
    /// images (<see cref="EvalProtocol.TrainImages"/>). A method whose paper uses another learning rate sets its own.
    /// </summary>
    public TrainConfig Pretrain { get; init; } = new();

    /// <summary>How every encoder is scored (data, feature, probes).</summary>
    public EvalProtocol Protocol { get; init; } = new();

    /// <summary>Seeds of every comparison: mean ± std over them.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];

    /// <summary>
    /// The MAE baseline: random masking of 75 % (the paper's), a Transformer decoder, per-patch normalised targets
    /// (norm_pix_loss). Studies vary it with <c>with</c> (a decoder, a mask ratio), never rebuild it.
    /// </summary>
    public MaeConfig Mae { get; init; } = new();

    /// <summary>The supervised ViT of the same shape (an upper reference for the probes).</summary>
    public TrainConfig Supervised { get; init; } = SupervisedTraining.DefaultConfig;

    /// <summary>Smallest crop of the view-based methods' RandomResizedCrop (MAE's and MoCo v3's 0.2), then a flip.</summary>
    public double CropScaleMin { get; init; } = 0.2;

    /// <summary>Held-out images the attention and representation measurements average over.</summary>
    public int AnalysisImages { get; init; }

    /// <summary>The pretraining images (the probes' training set): the first N of the train split.</summary>
    public int TrainImages => Protocol.TrainImages;

    /// <summary>The views of the view-based methods: RandomResizedCrop(CropScaleMin..1) and a horizontal flip.</summary>
    public ViewAugmentation Views => ViewAugmentation.Mae(Encoder.ImageSize) with { ScaleMin = CropScaleMin };

    /// <summary>
    /// The size with a notebook's parameter overrides: <paramref name="seeds"/> as "0,1,2" (empty: the size's),
    /// <paramref name="pretrainEpochs"/> and <paramref name="fineTuneEpochs"/> (0: the size's). Changing a budget changes
    /// the run keys, so the store trains anew rather than loading a run of another budget.
    /// </summary>
    public StudySize Override(string seeds = "", int pretrainEpochs = 0, int fineTuneEpochs = 0)
    {
        if (pretrainEpochs < 0 || fineTuneEpochs < 0)
            throw new ArgumentException($"Epoch overrides must be positive (0 keeps the size's), got pretrainEpochs {pretrainEpochs}, fineTuneEpochs {fineTuneEpochs}.");
        var result = this;
        if (!string.IsNullOrWhiteSpace(seeds))
        {
            var parsed = seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => int.TryParse(t, out var v) && v >= 0 ? v : throw new ArgumentException($"seeds must be non-negative whole numbers separated by commas, like \"0,1,2\"; got \"{seeds}\".")).ToArray();
            if (parsed.Distinct().Count() != parsed.Length) throw new ArgumentException($"seeds \"{seeds}\" repeats a seed.");
            result = result with { Seeds = parsed };
        }
        if (pretrainEpochs > 0)
            result = result with { Pretrain = result.Pretrain with { Epochs = pretrainEpochs, WarmupEpochs = Math.Min(result.Pretrain.WarmupEpochs, pretrainEpochs) } };
        if (fineTuneEpochs > 0)
            result = result with { Protocol = result.Protocol with { FineTune = result.Protocol.FineTune with
                { Epochs = fineTuneEpochs, WarmupEpochs = Math.Min(result.Protocol.FineTune.WarmupEpochs, fineTuneEpochs) } } };
        return result;
    }

    /// <summary>
    /// The size on another token grid: <paramref name="patchSize"/>-pixel patches for every encoder, the MAE's included;
    /// budgets, protocol and seeds unchanged. Notebook 01 measures attention at 14×14 (2-px patches), the paper's grid,
    /// where a 5×5 window holds an eighth of the tokens instead of half. Its runs have keys of their own.
    /// </summary>
    public StudySize WithPatchSize(int patchSize)
    {
        var encoder = (Encoder with { PatchSize = patchSize }).Validate();   // names a patch size that does not divide the image
        return this with { Encoder = encoder, Mae = Mae with { Encoder = encoder } };
    }

    /// <summary>Seconds: proves every cell runs (CI).</summary>
    public static StudySize Smoke { get; } = Sized(RunSize.Smoke,
        encoder: new VitConfig { Width = 32, Depth = 2, Heads = 2 },
        pretrain: new TrainConfig { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
        decoder: (Width: 32, Depth: 1, Heads: 2),
        supervised: SupervisedTraining.DefaultConfig with { Epochs = 1, BatchSize = 32, WarmupEpochs = 0.25 },
        seeds: [0, 1], analysisImages: 16);

    /// <summary>
    /// Minutes on a 2-core CPU. Notebook 01's MAE, the one scripts/recipe-search measured: a 4-block, 64-wide ViT on a 7×7
    /// grid, 512 pretraining steps of 64 images (8 epochs of 4,096), lr 2e-3, a 3-block decoder at the encoder's width; no
    /// augmentation (at 8 epochs the masks are the augmentation). Notebook 01's last quick run, the same MAE, recorded
    /// 50–59 s of pretraining per seed with one thread, beside another job.
    /// </summary>
    public static StudySize Quick { get; } = Sized(RunSize.Quick,
        encoder: new VitConfig { Width = 64, Depth = 4, Heads = 4 },
        pretrain: new TrainConfig { Epochs = 8, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 1 },
        decoder: (Width: 64, Depth: 3, Heads: 4),
        supervised: SupervisedTraining.DefaultConfig with { Epochs = 8, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 1 },
        seeds: [0, 1, 2], analysisImages: 256);

    /// <summary>Hours on one GPU: a ViT-Tiny-like encoder (12 × 192) on all of Fashion-MNIST, MAE's recipe shortened to 100 epochs.</summary>
    public static StudySize Full { get; } = Sized(RunSize.Full,
        encoder: new VitConfig { Width = 192, Depth = 12, Heads = 3 },
        pretrain: new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4 * 4, WarmupEpochs = 5 },
        decoder: (Width: 128, Depth: 4, Heads: 4),
        supervised: SupervisedTraining.DefaultConfig with { Epochs = 100, BatchSize = 256, WarmupEpochs = 5 },
        seeds: [0, 1, 2], analysisImages: 2_000);

    /// <summary>The size named <paramref name="size"/>.</summary>
    public static StudySize For(RunSize size) => size switch
    {
        RunSize.Smoke => Smoke,
        RunSize.Quick => Quick,
        RunSize.Full => Full,
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };

    /// <summary>"smoke", "quick" or "full" (see <see cref="RunSizes.Parse"/>).</summary>
    public static StudySize For(string size) => For(RunSizes.Parse(size));

    static StudySize Sized(RunSize name, VitConfig encoder, TrainConfig pretrain, (int Width, int Depth, int Heads) decoder,
        TrainConfig supervised, IReadOnlyList<int> seeds, int analysisImages) => new()
    {
        Name = name, Encoder = encoder, Pretrain = pretrain, Protocol = EvalProtocol.For(name), Seeds = seeds,
        Mae = new MaeConfig { Encoder = encoder, DecoderWidth = decoder.Width, DecoderDepth = decoder.Depth, DecoderHeads = decoder.Heads, MaskRatio = 0.75 },
        Supervised = supervised, AnalysisImages = analysisImages,
    };
}
