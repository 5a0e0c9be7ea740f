using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.Supervised;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Studies;

/// <summary>
/// One study at one size: the data budget, the MAE, the optimisation recipes of pretraining, the probes
/// and the supervised reference, and the seeds. Each study has its own size switch
/// (<see cref="Pretrain.MaePipeline.RecipeFor"/>), all of this shape.
/// Defaults are the values a study that does not use a field can leave alone.
/// </summary>
public sealed record MaeRecipe
{
    /// <summary>Pretraining and probe-training images: the first N of the train split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Held-out images the probes (and PSNR) score: the first N of the test split.</summary>
    public int TestImages { get; init; }
    /// <summary>
    /// Labelled images for fine-tuning (the first N of those used; 0: all of them). Fine-tuning sees all
    /// tokens, so it costs about 10× a pretraining image; the linear probe and k-NN use all training images.
    /// </summary>
    public int FineTuneImages { get; init; }
    /// <summary>Held-out images the attention measurements average over (0 where a study measures none).</summary>
    public int AnalysisImages { get; init; }
    /// <summary>The MAE (with the Transformer decoder; a study may vary the decoder or the mask ratio from it).</summary>
    public MaeConfig Mae { get; init; } = new();
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig FineTune { get; init; } = FineTuning.DefaultConfig;
    /// <summary>
    /// Mixup, cutmix and label smoothing during fine-tuning (main_finetune.py's regularisation), or null for plain
    /// cross-entropy. Tens of epochs on a few hundred labels memorise them without it.
    /// </summary>
    public Mixup? FineTuneMixup { get; init; }
    public TrainConfig Linear { get; init; } = LinearProbe.DefaultConfig;
    /// <summary>The supervised reference ViT (same encoder shape as the MAE), where a study trains one.</summary>
    public TrainConfig Supervised { get; init; } = SupervisedTraining.DefaultConfig;
    /// <summary>Seeds a study averages over (mean ± std).</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    /// <summary>Mask ratios of a sweep (lc-mae-uni-ssl Fig. 3b), where a study runs one.</summary>
    public IReadOnlyList<double> MaskRatios { get; init; } = [0.3, 0.45, 0.6, 0.75, 0.9];

    /// <summary>The images fine-tuning uses: <see cref="FineTuneImages"/>, or all training images when 0.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int LabelledImages => FineTuneImages > 0 ? FineTuneImages : TrainImages;

    /// <summary>The same recipe with one seed: every training's seed and <see cref="Seeds"/> = [seed].</summary>
    public MaeRecipe WithSeed(int seed) => this with
    {
        Pretrain = Pretrain with { Seed = seed }, FineTune = FineTune with { Seed = seed }, Linear = Linear with { Seed = seed },
        Supervised = Supervised with { Seed = seed }, Seeds = [seed],
    };
}
