using NotebookSsl.Data;
using NotebookSsl.Analysis;
using NotebookSsl.Runs;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Methods.Supervised;
using NotebookSsl.Training;

namespace NotebookSsl.Studies.OneImage;

/// <summary>Notebook 04's data budget, model and recipes at one size (relaxmim §4 at laptop size, on Fashion-MNIST).</summary>
public sealed record OneImageRecipe
{
    /// <summary>The pool the few pretraining images are drawn from: the first N of the train split (enough for 1,000 of one class).</summary>
    public int PoolImages { get; init; }
    /// <summary>The labelled set every probe trains on: the first N of the train split (the paper fine-tunes on all of ImageNet).</summary>
    public int LabelledImages { get; init; }
    /// <summary>Held-out images every probe is scored on: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Table 6: how many images MAE pretrains on (the paper: 1, 10, 100, 1,000).</summary>
    public IReadOnlyList<int> ImageCounts { get; init; } = [1, 10, 100, 1000];
    /// <summary>Tables 7 and 8: the size of the few-image set (the paper: 1,000 ImageNet images).</summary>
    public int SubsetImages { get; init; } = 1000;
    /// <summary>The MAE (the paper: ViT-B/16, mask ratio 0.75, normalised-pixel loss).</summary>
    public MaeConfig Mae { get; init; } = new();
    /// <summary>Optimiser of every pretraining (MAE's AdamW, β2 0.95); Epochs and WarmupEpochs are replaced by <see cref="Budget"/>.</summary>
    public TrainConfig Pretrain { get; init; } = new();
    /// <summary>Every pretraining runs this many steps whatever the number of images (an epoch over one image is one step).</summary>
    public StepBudget Budget { get; init; } = new(300, 30);
    /// <summary>Early stopping (the 1-image run): the fine-tune accuracy is measured at these pretraining steps.</summary>
    public IReadOnlyList<int> Checkpoints { get; init; } = [];
    /// <summary>The paper's "stronger augmentation" for few images, the same for every source (see <see cref="CropStream.StrongAugmentation"/>).</summary>
    public ViewAugmentation Augmentation { get; init; } = CropStream.StrongAugmentation(28);
    /// <summary>End-to-end fine-tuning on the labelled set.</summary>
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    /// <summary>Fine-tuning on the first tenth of the labelled set (Table 8's "10 % FT").</summary>
    public TrainConfig TenPercent { get; init; } = FineTuning.DefaultConfig;
    /// <summary>Linear probe on frozen mean-pooled patch tokens (the same feature for every method: the supervised ViT never trains its cls token).</summary>
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    /// <summary>Supervised pretraining on the few labelled images (Table 8); its epochs are set so it runs about <see cref="Budget"/> steps.</summary>
    public TrainConfig Supervised { get; init; } = SupervisedTraining.DefaultConfig;
    /// <summary>Seeds (mean ± std over them). A seed draws the images, the initialisation, the masks and the crops.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];

    /// <summary>Labelled images of the 10 % fine-tune.</summary>
    public int TenPercentImages => Math.Max(1, LabelledImages / 10);

    public static OneImageRecipe For(RunSize size) => size switch
    {
        // seconds: every cell runs on tiny models (Tables 7–8 on 10 images, 12 pretraining steps)
        RunSize.Smoke => new OneImageRecipe
        {
            PoolImages = 1000, LabelledImages = 160, TestImages = 64,
            ImageCounts = [1, 10], SubsetImages = 10,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 32, Depth = 2, Heads = 2 }, DecoderWidth = 32, DecoderDepth = 1, DecoderHeads = 2 },
            Pretrain = new TrainConfig { BatchSize = 16, Lr = 1e-3 },
            Budget = new StepBudget(12, 2), Checkpoints = [4, 8, 12],
            FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.2 },
            TenPercent = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 16, Lr = 1e-3, WarmupEpochs = 0.5 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 3, BatchSize = 32, WarmupEpochs = 1 },
            Supervised = SupervisedTraining.DefaultConfig with { BatchSize = 5, Lr = 1e-3 },
            Seeds = [0, 1],
        },
        // planned for ≤ 20 min on a shared 2-core CPU with one torch thread (not yet run): 21 MAE pretrainings, 3 supervised and
        // 9 MoCo v3 / R-MAE / C-MAE ones of 120 steps; 45 fine-tunes of 62 steps of 32 (1,000 labels); 18 fine-tunes of 30
        // steps on 100 labels; 18 linear probes. Per-step CPU times measured on the shared machine (MAE 0.13 s with a 2-block
        // decoder, C-MAE 3.9x an MAE step per notebook 03) put pretraining at ≈ 6.2 s per budget step in all: see the notebook.
        RunSize.Quick => new OneImageRecipe
        {
            PoolImages = 20_000, LabelledImages = 1_000, TestImages = 1_000,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 64, Depth = 4, Heads = 4 }, DecoderWidth = 64, DecoderDepth = 1, DecoderHeads = 4 },
            Pretrain = new TrainConfig { BatchSize = 64, Lr = 2e-3 },   // notebooks 01 and 03's quick rate
            Budget = new StepBudget(120, 12), Checkpoints = [15, 30, 60, 120],
            FineTune = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 0.3 },
            TenPercent = FineTuning.DefaultConfig with { Epochs = 10, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 1 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 },
            Supervised = SupervisedTraining.DefaultConfig with { BatchSize = 64, Lr = 1e-3 },
            Seeds = [0, 1, 2],
        },
        // hours on one GPU: all of Fashion-MNIST labelled, a ViT-Tiny-like encoder, 5,000 pretraining steps
        RunSize.Full => new OneImageRecipe
        {
            PoolImages = 60_000, LabelledImages = 60_000, TestImages = 10_000,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 192, Depth = 12, Heads = 3 }, DecoderWidth = 128, DecoderDepth = 4, DecoderHeads = 4 },
            Pretrain = new TrainConfig { BatchSize = 256, BaseLr = 1.5e-4 * 4 },
            Budget = new StepBudget(5000, 500), Checkpoints = [250, 500, 1000, 2000, 3000, 5000],
            FineTune = FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
            TenPercent = FineTuning.DefaultConfig with { Epochs = 100, WarmupEpochs = 5 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 50 },
            Supervised = SupervisedTraining.DefaultConfig with { BatchSize = 256 },
            Seeds = [0, 1, 2],
        },
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };
}
