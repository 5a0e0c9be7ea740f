using NotebookSsl.Methods.CMae;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Training;

namespace NotebookSsl.Studies;

/// <summary>
/// The methods more than one notebook trains, configured once per size so that each is one run in the store wherever it
/// appears: the contrastive references (DINO: notebooks 01, 02, 05; MoCo v3: 03, 05), C-MAE's base config (03a–e, 04),
/// and the supervised ViT (01, 03). Each gets the size's encoder, images and number of steps; only the loss and, where
/// the method needs it, the learning rate differ.
/// </summary>
public static class References
{
    /// <summary>
    /// Contrastive pretraining (MoCo v3, C-MAE): the size's steps with AdamW (0.9, 0.999) as MoCo v3's ViT recipe, at half
    /// the MAE rate: InfoNCE through a ViT is the less stable loss.
    /// </summary>
    public static TrainConfig ContrastiveTrain(StudySize size) => size.Pretrain with { Lr = size.Pretrain.PeakLr / 2, Beta2 = 0.999 };

    /// <summary>
    /// DINO's pretraining (its AdamW (0.9, 0.999), weight decay 0.04, clipping 3.0) for the size's steps; at the laptop sizes
    /// lr 5e-4 at batch 64 (notebook 02's measured recipe), at full DINO's 5e-4 per 256 images.
    /// </summary>
    public static TrainConfig DinoTrain(StudySize size) => DinoConfig.DefaultTrain with
    {
        Epochs = size.Pretrain.Epochs, BatchSize = size.Pretrain.BatchSize, WarmupEpochs = size.Pretrain.WarmupEpochs,
        Lr = size.Name == Runs.RunSize.Full ? null : 5e-4,
    };

    /// <summary>
    /// DINO on the size's encoder: a small projection head (the paper's 65,536 prototypes are for ImageNet), BatchNorm in the
    /// head, teacher momentum 0.98 at the laptop sizes (0.996 averages over more steps than a quick run has).
    /// </summary>
    public static DinoConfig DinoConfigOf(StudySize size) => size.Name switch
    {
        Runs.RunSize.Smoke => new DinoConfig { Encoder = size.Encoder, OutDim = 128, HiddenDim = 64, BottleneckDim = 32, UseBnInHead = true, TeacherMomentum = 0.98 },
        Runs.RunSize.Quick => new DinoConfig { Encoder = size.Encoder, OutDim = 512, HiddenDim = 128, BottleneckDim = 64, UseBnInHead = true, TeacherMomentum = 0.98 },
        _ => new DinoConfig { Encoder = size.Encoder, OutDim = 4096, HiddenDim = 1024, BottleneckDim = 256, UseBnInHead = true },
    };

    /// <summary>DINO at this size (see <see cref="DinoConfigOf"/>, <see cref="DinoTrain"/>).</summary>
    public static PretrainMethod Dino(StudySize size) => PretrainMethod.Dino(DinoConfigOf(size), train: DinoTrain(size));

    /// <summary>MoCo v3 on the size's encoder: a projector and predictor at 4× / 1× the encoder's width.</summary>
    public static PretrainMethod MocoV3(StudySize size) =>
        PretrainMethod.MocoV3(new MocoV3Config { Encoder = size.Encoder, Dim = size.Encoder.Width, MlpDim = 4 * size.Encoder.Width }, train: ContrastiveTrain(size));

    /// <summary>
    /// C-MAE's base config on the size's MAE (encoder and mask ratio). The paper's momentum 0.996 averages over ~250 steps,
    /// about half a quick run: 0.99 lets the target move at the laptop sizes.
    /// </summary>
    public static CMaeConfig CMaeConfigOf(StudySize size) => new()
    {
        Encoder = size.Encoder, HiddenDim = 4 * size.Encoder.Width, Dim = size.Encoder.Width, MaskRatio = size.Mae.MaskRatio,
        Momentum = size.Name == Runs.RunSize.Full ? 0.996 : 0.99,
    };

    /// <summary>The supervised ViT of the size's shape, trained on the labels of the size's images.</summary>
    public static PretrainMethod Supervised(StudySize size) => PretrainMethod.Supervised(size.Encoder, size.Supervised);
}
