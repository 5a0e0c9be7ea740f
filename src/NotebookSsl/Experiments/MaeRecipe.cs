using NotebookSsl.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Experiments;

/// <summary>
/// MAE pretraining then probing on Fashion-MNIST: the data budget, the model and the three optimisation
/// recipes, at one of the three sizes.
/// </summary>
public sealed record MaeRecipe
{
    /// <summary>Training images used (the first N of the train split).</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images scored by the probes (the first N of the test split).</summary>
    public int TestImages { get; init; }
    /// <summary>
    /// Labelled training images for fine-tuning (the first N of those used): fine-tuning sees all tokens,
    /// so it costs about 10× a pretraining image; the linear probe and k-NN use all training images.
    /// </summary>
    public int FineTuneImages { get; init; }
    public MaeConfig Mae { get; init; } = new();
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;

    /// <summary>The recipe of a size, with every seed set to <paramref name="seed"/>.</summary>
    public static MaeRecipe For(RunSize size, int seed = 0) => (size switch
    {
        RunSize.Smoke => new MaeRecipe
        {
            TrainImages = 512, TestImages = 256, FineTuneImages = 256,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 64, Depth = 2, Heads = 4 }, DecoderWidth = 32, DecoderDepth = 1, DecoderHeads = 2 },
            Pretrain = new TrainConfig { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.5 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 64, WarmupEpochs = 0.2 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 5, BatchSize = 64, WarmupEpochs = 1 },
        },
        RunSize.Quick => new MaeRecipe
        {
            TrainImages = 10_000, TestImages = 2_000, FineTuneImages = 2_000,
            Pretrain = new TrainConfig { Epochs = 15, BatchSize = 128, Lr = 1e-3, WarmupEpochs = 1 },
            FineTune = FineTuning.DefaultConfig with { Epochs = 5, WarmupEpochs = 1 },
        },
        RunSize.Full => new MaeRecipe
        {
            TrainImages = 60_000, TestImages = 10_000, FineTuneImages = 60_000,
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 192, Depth = 12, Heads = 3 }, DecoderWidth = 128, DecoderDepth = 4, DecoderHeads = 4 },
            Pretrain = new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4, WarmupEpochs = 5 }, // the official recipe, shortened
            FineTune = FineTuning.DefaultConfig with { Epochs = 30, WarmupEpochs = 3 },
            Linear = LinearProbe.DefaultConfig with { Epochs = 50 },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    }).WithSeed(seed);

    /// <summary>The same recipe with every seed set.</summary>
    public MaeRecipe WithSeed(int seed) => this with
    {
        Pretrain = Pretrain with { Seed = seed }, FineTune = FineTune with { Seed = seed }, Linear = Linear with { Seed = seed },
    };
}
