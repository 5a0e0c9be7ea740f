using NotebookSsl.Runs;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Studies.Occlusion;

/// <summary>
/// Notebook 03's data budget, models and recipes at one size. Every pretraining method gets the same encoder, images
/// and number of steps; only the loss (and the learning rate, where the method needs another) differs.
/// </summary>
public sealed record OcclusionRecipe
{
    /// <summary>Pretraining and linear-probe images: the first N of Fashion-MNIST's train split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images every probe and PSNR is scored on: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Labelled images for end-to-end fine-tuning (the first N of the train images; it costs ~2 pretraining steps per batch).</summary>
    public int FineTuneImages { get; init; }
    /// <summary>Labelled images for the "10 % fine-tune" of Table 4: a tenth of <see cref="FineTuneImages"/>.</summary>
    public int FewShotImages => Math.Max(FineTuneImages / 10, 2);
    /// <summary>Held-out images the CKA of Fig. 1 is measured on.</summary>
    public int AnalysisImages { get; init; }
    /// <summary>The MAE (and R-MAE: the same network, another loss); its encoder is every method's encoder.</summary>
    public MaeConfig Mae { get; init; } = new();
    /// <summary>MAE and R-MAE pretraining.</summary>
    public TrainConfig Pretrain { get; init; } = new();
    /// <summary>C-MAE and MoCo v3 pretraining: the same steps, a learning rate and β2 that suit the contrastive losses.</summary>
    public TrainConfig Contrastive { get; init; } = new();
    /// <summary>C-MAE's heads and momentum (its encoder is <see cref="Mae"/>'s).</summary>
    public CMaeConfig CMae { get; init; } = new();
    /// <summary>MoCo v3's heads and momentum (its encoder is <see cref="Mae"/>'s).</summary>
    public MocoV3Config MocoV3 { get; init; } = new();
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    /// <summary>Fine-tuning on <see cref="FewShotImages"/>: more epochs over fewer images.</summary>
    public TrainConfig FewShot { get; init; } = FineTuning.DefaultConfig;
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    /// <summary>Seeds of every table (mean ± std over them).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>Mask ratios of Fig. 1.</summary>
    public IReadOnlyList<double> CkaRatios { get; init; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    public static OcclusionRecipe For(RunSize size) => size switch
    {
        // seconds per notebook: proves every cell runs
        RunSize.Smoke => Build(new VitConfig { Width = 32, Depth = 2, Heads = 2 }, decoderDepth: 1, train: 128, test: 64, fineTuneImages: 64, analysis: 32,
            pretrain: new TrainConfig { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            fineTune: FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.25 },
            fewShot: FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 4, Lr = 1e-3, WarmupEpochs = 0.25 },
            linear: LinearProbe.DefaultConfig with { Epochs = 2, BatchSize = 32, WarmupEpochs = 0.5 },
            seeds: [0], ratios: [0.25, 0.5, 0.75]),
        // minutes: the encoder of notebook 01's quick size, 192 pretraining steps per model (3 epochs of 4,096 images): with
        // C-MAE steps at ~4 MAE steps, 256 did not let each part of section 03 (03a-03e) fit 20 minutes from an empty store
        RunSize.Quick => Build(new VitConfig { Width = 64, Depth = 4, Heads = 4 }, decoderDepth: 2, train: 4096, test: 1000, fineTuneImages: 2048, analysis: 256,
            pretrain: new TrainConfig { Epochs = 3, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 0.5 },
            fineTune: FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.3 },
            fewShot: FineTuning.DefaultConfig with { Epochs = 5, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.5 },
            linear: LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 },
            seeds: [0, 1, 2], ratios: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
        // hours on one GPU: a ViT-Tiny-like encoder, all of Fashion-MNIST
        RunSize.Full => Build(new VitConfig { Width = 192, Depth = 12, Heads = 3 }, decoderDepth: 4, train: 60_000, test: 10_000, fineTuneImages: 60_000, analysis: 2_000,
            pretrain: new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4 * 4, WarmupEpochs = 5 },
            fineTune: FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
            fewShot: FineTuning.DefaultConfig with { Epochs = 50, WarmupEpochs = 5 },
            linear: LinearProbe.DefaultConfig with { Epochs = 50 },
            seeds: [0, 1, 2], ratios: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };

    static OcclusionRecipe Build(VitConfig encoder, int decoderDepth, int train, int test, int fineTuneImages, int analysis, TrainConfig pretrain,
        TrainConfig fineTune, TrainConfig fewShot, TrainConfig linear, int[] seeds, double[] ratios) => new()
    {
        TrainImages = train, TestImages = test, FineTuneImages = fineTuneImages, AnalysisImages = analysis,
        Mae = new MaeConfig { Encoder = encoder, DecoderWidth = encoder.Width, DecoderDepth = decoderDepth, DecoderHeads = encoder.Heads },
        Pretrain = pretrain,
        // AdamW (0.9, 0.999) as MoCo v3's ViT recipe, at half the MAE rate: InfoNCE through a ViT is the less stable loss
        Contrastive = pretrain with { Lr = pretrain.PeakLr / 2, Beta2 = 0.999 },
        // the paper's momentum 0.996 averages over ~250 steps, more than a whole quick run (192): 0.99 lets the target move
        CMae = new CMaeConfig { Encoder = encoder, HiddenDim = 4 * encoder.Width, Dim = encoder.Width, Momentum = pretrain.Epochs >= 50 ? 0.996 : 0.99 },
        MocoV3 = new MocoV3Config { Encoder = encoder, Dim = encoder.Width, MlpDim = 4 * encoder.Width },
        FineTune = fineTune, FewShot = fewShot, Linear = linear, Seeds = seeds, CkaRatios = ratios,
    };
}
