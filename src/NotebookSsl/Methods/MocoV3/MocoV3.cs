using NotebookSsl.Data;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.MocoV3;

/// <summary>
/// MoCo v3 (Chen, Xie &amp; He 2021; facebookresearch/moco-v3, moco/builder.py MoCo_ViT and main_moco.py) at laptop
/// size. Official values in brackets where ours differ.
/// </summary>
public sealed record MocoV3Config
{
    /// <summary>The ViT; the same shape as the MAE encoders it is compared with.</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Output width of projector and predictor (--moco-dim 256); 64 suits a 128-wide laptop ViT.</summary>
    public int Dim { get; init; } = 64;
    /// <summary>Hidden width of projector and predictor (--moco-mlp-dim 4096).</summary>
    public int MlpDim { get; init; } = 256;
    /// <summary>Softmax temperature τ (--moco-t 0.2 in the ViT recipes; the builder's default is 1.0).</summary>
    public double Temperature { get; init; } = 0.2;
    /// <summary>Momentum of the momentum encoder at step 0, raised to 1 by a half cosine (--moco-m 0.99 with --moco-m-cos).</summary>
    public double Momentum { get; init; } = 0.99;
    /// <summary>Freeze the random patch projection (--stop-grad-conv1, the paper's fix for ViT training instability).</summary>
    public bool StopGradPatchEmbed { get; init; } = true;
    /// <summary>Smallest crop area of RandomResizedCrop (--crop-min 0.08).</summary>
    public double CropMin { get; init; } = 0.08;

    public MocoV3Config Validate()
    {
        Encoder.Validate();
        if (Dim < 1 || MlpDim < 1) throw new ArgumentException($"Dim ({Dim}) and MlpDim ({MlpDim}) must be positive.");
        if (!(Temperature > 0)) throw new ArgumentException($"Temperature must be positive, got {Temperature}.");
        if (Momentum is < 0 or > 1) throw new ArgumentException($"Momentum must lie in [0, 1], got {Momentum}.");
        if (!(CropMin > 0 && CropMin <= 1)) throw new ArgumentException($"CropMin must lie in (0, 1], got {CropMin}.");
        return this;
    }

    /// <summary>
    /// main_moco.py's two views, minus what a grey 28-px image cannot use: crop, flip, colour jitter (0.4, 0.4, 0.2, 0.1)
    /// with p 0.8, grayscale p 0.2, blur p 1.0 (view 1) / 0.1 (view 2). Solarize (p 0.2 on view 2) is left out.
    /// </summary>
    public (ViewAugmentation View1, ViewAugmentation View2) Views()
    {
        var view = new ViewAugmentation(Encoder.ImageSize, ScaleMin: CropMin, JitterProbability: 0.8, Brightness: 0.4, Contrast: 0.4,
            Saturation: 0.2, Hue: 0.1, GrayscaleProbability: 0.2, BlurProbability: 1.0);
        return (view, view with { BlurProbability = 0.1 });
    }
}

/// <summary>A ViT with a head on its cls token, under one prefix with official names (timm's VisionTransformer.head).</summary>
public sealed class VitWithHead : Module<Tensor, Tensor>
{
    readonly Sequential head;

    public VitWithHead(VisionTransformer vit, Sequential head) : base(nameof(VitWithHead))
    {
        Vit = vit;
        this.head = head;
        foreach (var (name, child) in vit.named_children()) register_module(name, child);
        foreach (var (name, parameter) in vit.named_parameters(recurse: false)) register_parameter(name, parameter);
        register_module("head", head);
    }

    /// <summary>The encoder (shares its weights with this module).</summary>
    public VisionTransformer Vit { get; }

    /// <summary>head(cls token after the final norm): [N, out].</summary>
    public override Tensor forward(Tensor images) => head.forward(Vit.forward(images)[.., 0]);
}

/// <summary>
/// MoCo v3 for ViTs (moco/builder.py, MoCo_ViT): a base encoder whose head is a 3-layer projector, a 2-layer predictor,
/// and a momentum encoder (encoder + projector) that follows the base by EMA. Loss: the symmetric InfoNCE
/// ctr(q1, k2) + ctr(q2, k1) with the 2τ factor (<see cref="Contrastive.InfoNce"/>).
/// <para>
/// Where this differs from the official code: one process, so BatchNorm is plain (not SyncBatchNorm) and there is no
/// all-gather of the keys; the ViT is this library's (MAE's initialisation: xavier on the whole qkv matrix and cls
/// token std 0.02, where MoCo v3 scales q, k, v separately and uses std 1e-6); the optimiser is AdamW with MAE's
/// parameter groups (the official ViT recipe: AdamW, lr 1.5e-4 × batch/256, weight decay 0.1); the momentum update
/// runs after the optimiser step (Trainer's afterStep hook) rather than at the start of the next forward, which
/// gives the same sequence of weights; no solarize in the views.
/// </para>
/// </summary>
public sealed class MoCo : Module<Tensor, Tensor, Tensor>
{
    readonly VitWithHead base_encoder;
    readonly VitWithHead momentum_encoder;
    readonly Sequential predictor;
    readonly Ema ema;

    public MocoV3Config Config { get; }

    public MoCo(MocoV3Config config) : base("MoCo")
    {
        Config = config.Validate();
        int width = config.Encoder.Width;
        base_encoder = new VitWithHead(new VisionTransformer(config.Encoder), Mlp(3, width, config.MlpDim, config.Dim, lastBn: true));
        momentum_encoder = new VitWithHead(new VisionTransformer(config.Encoder), Mlp(3, width, config.MlpDim, config.Dim, lastBn: true));
        predictor = Mlp(2, config.Dim, config.MlpDim, config.Dim, lastBn: true);
        RegisterComponents();
        if (config.StopGradPatchEmbed)
            foreach (var (name, p) in base_encoder.named_parameters())
                if (name.StartsWith("patch_embed.")) p.requires_grad_(false);
        ema = new Ema(momentum_encoder, base_encoder);   // copies the base in and freezes the momentum encoder
    }

    /// <summary>The base encoder's ViT: what probes and fine-tuning read.</summary>
    public VisionTransformer Encoder => base_encoder.Vit;

    /// <summary>
    /// builder.py's _build_mlp: Linear (no bias) → BN → ReLU for every layer but the last; the last is Linear, then
    /// BN without affine parameters when <paramref name="lastBn"/> (SimCLR's design).
    /// </summary>
    internal static Sequential Mlp(int layers, int inputDim, int mlpDim, int outputDim, bool lastBn)
    {
        var modules = new List<Module<Tensor, Tensor>>();
        for (int l = 0; l < layers; l++)
        {
            int dim1 = l == 0 ? inputDim : mlpDim, dim2 = l == layers - 1 ? outputDim : mlpDim;
            modules.Add(Init.Linear(dim1, dim2, hasBias: false));
            if (l < layers - 1) { modules.Add(BatchNorm1d(dim2)); modules.Add(ReLU()); }
            else if (lastBn) modules.Add(BatchNorm1d(dim2, affine: false));
        }
        return Sequential(modules);
    }

    /// <summary>The loss of two views x1, x2 [N, C, H, W] of the same N images.</summary>
    public override Tensor forward(Tensor x1, Tensor x2)
    {
        Shapes.Image(x1, Config.Encoder, nameof(x1));
        Shapes.Image(x2, Config.Encoder, nameof(x2));
        if (x1.shape[0] != x2.shape[0]) throw new ArgumentException($"x1 {Shapes.Of(x1)} and x2 {Shapes.Of(x2)} must hold the same images.");

        // queries: base encoder + projector, then the predictor
        var q1 = predictor.forward(base_encoder.forward(x1));   // [N, dim]
        var q2 = predictor.forward(base_encoder.forward(x2));   // [N, dim]

        // keys: the momentum encoder, no gradient
        Tensor k1, k2;
        using (no_grad())
        {
            k1 = momentum_encoder.forward(x1);                  // [N, dim]
            k2 = momentum_encoder.forward(x2);                  // [N, dim]
        }

        // symmetric InfoNCE, each view's query against the other view's key
        return Contrastive.InfoNce(q1, k2, Config.Temperature) + Contrastive.InfoNce(q2, k1, Config.Temperature);
    }

    /// <summary>momentum encoder ← m·momentum encoder + (1 − m)·base encoder.</summary>
    public void UpdateMomentumEncoder(double momentum) => ema.Update(momentum);

    /// <summary>
    /// Lazily trains <paramref name="model"/> on images [N, C, H, W] in [0, 1]: each batch gets two views
    /// (<see cref="MocoV3Config.Views"/>) drawn from the run's generator; after each optimiser step the momentum
    /// encoder moves with the cosine-scheduled momentum. Enumerate the records to run it.
    /// </summary>
    public static IEnumerable<StepRecord> Steps(MoCo model, Tensor images, TrainConfig train, CancellationToken cancel = default)
    {
        Shapes.Image(images, model.Config.Encoder);
        var (view1, view2) = model.Config.Views();
        long total = Trainer.TotalSteps(images.shape[0], train);
        return Trainer.Steps(model, images, null, (batch, _, generator) =>
            {
                var a = view1.Apply(batch, generator).Images;   // [N, C, H, W], freed with the step's dispose scope
                var b = view2.Apply(batch, generator).Images;
                return model.forward(a, b);
            }, train,
            afterStep: step => model.UpdateMomentumEncoder(Ema.CosineMomentum(model.Config.Momentum, step + 1, total)),
            cancel: cancel);
    }
}
