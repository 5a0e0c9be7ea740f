using NotebookSsl.Data;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Dino;

/// <summary>
/// DINO (Caron et al. 2021) at laptop size. Defaults follow facebookresearch/dino main_dino.py where they carry over;
/// the head is smaller (ImageNet's 65,536 prototypes and 2048-wide MLP are far more than 10 classes of 28-px images need).
/// </summary>
public sealed record DinoConfig
{
    /// <summary>The ViT (student and teacher alike).</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Prototypes K of the last layer (DINO: 65,536). 1,024 keeps the head's cost below the encoder's here.</summary>
    public int OutDim { get; init; } = 1024;
    /// <summary>Hidden width of the head's MLP (DINO: 2048); 256 is twice this library's default token width.</summary>
    public int HiddenDim { get; init; } = 256;
    /// <summary>Bottleneck before the L2 normalisation (DINO: 256); scaled down with the hidden width.</summary>
    public int BottleneckDim { get; init; } = 64;
    /// <summary>DINO's norm_last_layer (default true): the prototypes keep unit norm, which stabilises training.</summary>
    public bool NormLastLayer { get; init; } = true;
    /// <summary>
    /// DINO's use_bn_in_head: BatchNorm after the head's hidden layers (DINO: off for ViTs, on for ResNets). The laptop
    /// sizes turn it on: without it, DINO and Uni-SSL fell to the uniform distribution within ~30 steps (loss = ln K),
    /// because a small random ViT's outputs barely differ between images and the centre removes what they share.
    /// </summary>
    public bool UseBnInHead { get; init; } = false;
    /// <summary>τ_s (DINO and the paper: 0.1).</summary>
    public double StudentTemp { get; init; } = 0.1;
    /// <summary>τ_t after warm-up (DINO's default and the paper: 0.04).</summary>
    public double TeacherTemp { get; init; } = 0.04;
    /// <summary>τ_t at epoch 0 (DINO's default: 0.04; its ViT-B recipe warms up from 0.04 to 0.07).</summary>
    public double WarmupTeacherTemp { get; init; } = 0.04;
    /// <summary>Epochs of the linear τ_t warm-up (DINO's default 0; 30 in its long recipes).</summary>
    public int WarmupTeacherTempEpochs { get; init; } = 0;
    /// <summary>Centre momentum (DINO and the paper: 0.9).</summary>
    public double CenterMomentum { get; init; } = 0.9;
    /// <summary>
    /// DINO's freeze_last_layer: the prototypes (last_layer.weight_v) stay fixed for this many epochs (DINO: 1, "typically
    /// doing so during the first epoch helps training"). Difference: DINO drops their gradient; here they are put back
    /// after each step, so AdamW's moments have seen those gradients when the freeze ends.
    /// </summary>
    public int FreezeLastLayerEpochs { get; init; } = 1;
    /// <summary>EMA momentum at step 0, raised to 1 on a cosine over training (DINO: 0.996).</summary>
    public double TeacherMomentum { get; init; } = 0.996;
    /// <summary>
    /// Extra local crops for the student only (multi-crop; DINO: 8 at 96 px, scale 0.05–0.4). 0 = two global crops, the
    /// setting the paper compares Uni-SSL with. Difference: local crops are rendered at the global size, because this
    /// library's ViT has a fixed position grid (DINO interpolates its position embedding to 96 px crops).
    /// </summary>
    public int LocalCrops { get; init; } = 0;
    /// <summary>Area fraction of a local crop (DINO: 0.05–0.4; the top is 0.25 here to stay below the global crops' 0.25–1).</summary>
    public double LocalScaleMin { get; init; } = 0.05;
    public double LocalScaleMax { get; init; } = 0.25;
    /// <summary>
    /// The two global crops must overlap by this share of each crop's area. DINO has no such rule (0); the paper's DINO
    /// baseline "shares the same data augmentation with Uni-SSL", so the default is Uni-SSL's 0.3.
    /// </summary>
    public double MinOverlap { get; init; } = 0.3;
    /// <summary>The view recipe; null: <see cref="ViewAugmentation.UniSsl"/> at the encoder's image size (crop scale 0.25–1).</summary>
    public ViewAugmentation? Augmentation { get; init; }

    /// <summary>The two-view sampler this config describes.</summary>
    public TwoViews Views() => new(Augmentation ?? ViewAugmentation.UniSsl(Encoder.ImageSize), MinOverlap);

    /// <summary>DINO's optimiser at laptop size: AdamW (0.9, 0.999), 5e-4 per 256 images, weight decay 0.04, clip 3.</summary>
    public static TrainConfig DefaultTrain { get; } = new()
    {
        Epochs = 10, BatchSize = 64, BaseLr = 5e-4, Beta2 = 0.999, WeightDecay = 0.04, ClipGrad = 3.0, WarmupEpochs = 1,
    };

    public DinoConfig Validate()
    {
        Encoder.Validate();
        if (OutDim < 1 || HiddenDim < 1 || BottleneckDim < 1) throw new ArgumentException($"head sizes must be positive (out {OutDim}, hidden {HiddenDim}, bottleneck {BottleneckDim}).");
        if (!(StudentTemp > 0 && TeacherTemp > 0 && WarmupTeacherTemp > 0)) throw new ArgumentException("temperatures must be positive.");
        if (TeacherMomentum is < 0 or > 1) throw new ArgumentException($"TeacherMomentum must be in [0, 1], got {TeacherMomentum}.");
        if (LocalCrops < 0) throw new ArgumentException($"LocalCrops must be >= 0, got {LocalCrops}.");
        if (Augmentation is { } a && a.Size != Encoder.ImageSize) throw new ArgumentException($"the views ({a.Size} px) must match the encoder's image size {Encoder.ImageSize}.");
        return this;
    }
}

/// <summary>
/// A backbone and a DINO head (DINO's MultiCropWrapper without the batching by resolution): the head reads the cls token.
/// Names: backbone.* (the MAE/timm ViT names), head.*.
/// </summary>
public sealed class BackboneWithHead : Module<Tensor, Tensor>
{
    readonly VisionTransformer backbone;
    readonly DinoHead head;

    public BackboneWithHead(VisionTransformer backbone, DinoHead head) : base(nameof(BackboneWithHead))
    {
        this.backbone = backbone;
        this.head = head;
        RegisterComponents();
    }

    public VisionTransformer Backbone => backbone;
    public DinoHead Head => head;

    /// <summary>Head outputs of the cls token: [N, out].</summary>
    public override Tensor forward(Tensor images) => head.forward(backbone.forward(images)[.., 0]);

    /// <summary>The dense token map: patch tokens after the final norm, [N, D, g, g].</summary>
    public Tensor Dense(Tensor images)
    {
        int g = backbone.Config.GridSize;
        var tokens = backbone.forward(images)[.., 1..];                         // [N, L, D]
        return tokens.transpose(1, 2).reshape(tokens.shape[0], -1, g, g);      // [N, D, g, g]
    }
}

/// <summary>
/// DINO: a student and an EMA teacher of the same architecture (ViT + <see cref="DinoHead"/>), trained by
/// <see cref="DinoLoss"/> across two global crops (and optional local crops seen by the student only).
/// Follows main_dino.py; differences: the weight decay stays at its start value (DINO raises it 0.04 → 0.4 on a cosine),
/// freeze_last_layer restores the prototypes after each step instead of dropping their gradient, no fp16, one process.
/// As in DINO (utils.clip_gradients), <see cref="TrainConfig.ClipGrad"/> clips each parameter's gradient norm on its own,
/// not the global norm (until this was fixed, the global norm was clipped: runs stored before differ).
/// Names: student.backbone.*, student.head.*, teacher.*, dino_loss.center.
/// </summary>
public sealed class DinoModel : Module
{
    readonly BackboneWithHead student;
    readonly BackboneWithHead teacher;
    readonly DinoLoss dino_loss;
    readonly Ema ema;

    /// <summary>Builds student and teacher (inside <see cref="Seeds.Build{T}"/> for a seeded initialisation); the teacher starts as a copy.</summary>
    public DinoModel(DinoConfig config) : base(nameof(DinoModel))
    {
        Config = config.Validate();
        student = Network(config);
        teacher = Network(config);
        dino_loss = new DinoLoss(config.OutDim, config.StudentTemp, config.CenterMomentum);
        RegisterComponents();
        ema = new Ema(teacher, student);   // teacher ← student, and the teacher gets no gradient
    }

    static BackboneWithHead Network(DinoConfig c) =>
        new(new VisionTransformer(c.Encoder), new DinoHead(c.Encoder.Width, c.OutDim, c.HiddenDim, c.BottleneckDim, c.NormLastLayer, c.UseBnInHead));

    public DinoConfig Config { get; }
    public BackboneWithHead Student => student;
    public BackboneWithHead Teacher => teacher;
    public DinoLoss Loss => dino_loss;
    /// <summary>The encoder to probe: the teacher's backbone, as DINO evaluates (checkpoint_key "teacher").</summary>
    public VisionTransformer Encoder => teacher.Backbone;

    /// <summary>Trainable parameter count of the student.</summary>
    public long ParameterCount => student.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>The loss of one batch [N, C, H, W] at the given epoch (for τ_t); views drawn from <paramref name="generator"/>.</summary>
    public Tensor Forward(Tensor images, Generator generator, int epoch = 0)
    {
        Shapes.Image(images, Config.Encoder);

        // two global crops with a known overlap, and local crops for the student
        using var views = Config.Views().Apply(images, generator);                                  // 2 × [N, C, H, W]
        var crops = new List<Tensor> { views.View1, views.View2 };
        var local = Config.Views().Augmentation with { ScaleMin = Config.LocalScaleMin, ScaleMax = Config.LocalScaleMax };
        for (int i = 0; i < Config.LocalCrops; i++) crops.Add(local.Apply(images, generator).Images);

        // student on every crop in one pass, teacher on the global crops without gradient
        long n = images.shape[0];
        var s = student.forward(cat(crops, 0)).split(n);                                           // (2+local) × [N, out]
        Tensor[] t;
        using (no_grad()) t = teacher.forward(cat(new[] { views.View1, views.View2 }, 0)).split(n); // 2 × [N, out]

        // cross-entropy across the crops; the centre moves
        var temp = DinoLoss.TeacherTemperature(epoch, Config.WarmupTeacherTemp, Config.TeacherTemp, Config.WarmupTeacherTempEpochs);
        return dino_loss.Forward(s, t, temp);
    }

    /// <summary>teacher ← m·teacher + (1 − m)·student.</summary>
    public void UpdateTeacher(double momentum) => ema.Update(momentum);

    /// <summary>
    /// Lazily trains the student (AdamW over its parameters) and moves the teacher by EMA after every step, with
    /// momentum on DINO's cosine schedule from <see cref="DinoConfig.TeacherMomentum"/> to 1. Enumerate to run.
    /// </summary>
    public IEnumerable<StepRecord> Steps(Tensor images, TrainConfig train, CancellationToken cancel = default) =>
        EmaTraining.Steps(this, student.named_parameters().Select(np => ("student." + np.name, np.parameter)), images, train, (x, g, epoch) => Forward(x, g, epoch),
            Config.TeacherMomentum, UpdateTeacher, student.Head.LastLayer.WeightV, Config.FreezeLastLayerEpochs, cancel);
}
