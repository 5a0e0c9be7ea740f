using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.CMae;

/// <summary>Which tokens C-MAE's loss compares (relaxmim Table 3).</summary>
public enum CMaeTokens
{
    /// <summary>Instance-wise: the cls token only.</summary>
    Cls,
    /// <summary>Instance-wise: the mean of the patch tokens.</summary>
    MeanToken,
    /// <summary>Token-wise: every patch token at its own position (the paper's default).</summary>
    Tokens,
    /// <summary>Token-wise: every patch token and the cls token, the terms averaged.</summary>
    TokensAndCls,
}

/// <summary>C-MAE's similarity measurement (relaxmim Eq. 9 and Table 4).</summary>
public enum CMaeLoss
{
    /// <summary>InfoNCE with τ (MoCo v3's form, <see cref="Contrastive.InfoNce"/>).</summary>
    InfoNce,
    /// <summary>BYOL's 2 − 2·cos, no negatives.</summary>
    Byol,
}

/// <summary>Contrastive MAE (relaxmim §3, Eq. 9–11, appendix details). Paper values in brackets where ours differ.</summary>
public sealed record CMaeConfig
{
    /// <summary>The ViT encoder.</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Patches removed from view 1; view 2 sees exactly those (Eq. 6, T2 = x ⊙ (1 − M)). The paper: 0.75.</summary>
    public double MaskRatio { get; init; } = 0.75;
    /// <summary>Patch masking at all (Table 5's compositions); off: both views are the whole image.</summary>
    public bool Masking { get; init; } = true;
    /// <summary>Hidden width of projector and predictor [2048].</summary>
    public int HiddenDim { get; init; } = 256;
    /// <summary>Output width of projector and predictor [768, the ViT-B width].</summary>
    public int Dim { get; init; } = 128;
    /// <summary>InfoNCE temperature τ (the paper: 0.2).</summary>
    public double Temperature { get; init; } = 0.2;
    /// <summary>EMA momentum of the target at step 0 (the paper: 0.996), raised to 1 by a half cosine as in BYOL and MoCo v3.</summary>
    public double Momentum { get; init; } = 0.996;
    /// <summary>Which tokens the loss compares (the paper's default: every patch token).</summary>
    public CMaeTokens Tokens { get; init; } = CMaeTokens.Tokens;
    /// <summary>InfoNCE (default) or BYOL's loss.</summary>
    public CMaeLoss Loss { get; init; } = CMaeLoss.InfoNce;
    /// <summary>
    /// Learnable mask tokens inside the encoder (the paper's C-MAE). Off (Table 4, "w/o mask token"): the encoder sees
    /// only its visible patches, as MAE's does, and the mask tokens enter after it, in a one-block neck that rebuilds
    /// the full token map (as MAE's decoder does); the paper does not say how it keeps a token-wise loss without them,
    /// this is our reading.
    /// </summary>
    public bool MaskTokens { get; init; } = true;
    /// <summary>Colour jitter applied to each view after masking (SimSiam's: 0.4, 0.4, 0.4, 0.1 with p 0.8; grey images: brightness and contrast).</summary>
    public bool ColorJitter { get; init; } = true;
    /// <summary>CutMix (Table 5): each image gets a box from another image of the batch before the views are made.</summary>
    public bool CutMix { get; init; }

    public CMaeConfig Validate()
    {
        Encoder.Validate();
        if (Masking) RandomMasking.KeepCount(Encoder.NumPatches, MaskRatio);
        if (HiddenDim < 1 || Dim < 1) throw new ArgumentException($"HiddenDim ({HiddenDim}) and Dim ({Dim}) must be positive.");
        if (!(Temperature > 0)) throw new ArgumentException($"Temperature must be positive, got {Temperature}.");
        if (Momentum is < 0 or > 1) throw new ArgumentException($"Momentum must lie in [0, 1], got {Momentum}.");
        return this;
    }
}

/// <summary>One C-MAE branch: the encoder with its mask token (and, without mask tokens in the encoder, the neck), then the projector.</summary>
public sealed class CMaeBranch : Module
{
    readonly VisionTransformer encoder;
    readonly Parameter mask_token;
    readonly Block? neck;
    readonly LayerNorm? neck_norm;
    readonly Sequential projector;
    readonly Tensor position;   // [1, L, D] the encoder's fixed sin-cos position embedding of the patches
    readonly CMaeConfig config;

    public CMaeBranch(CMaeConfig config) : base(nameof(CMaeBranch))
    {
        this.config = config;
        var enc = config.Encoder;
        encoder = new VisionTransformer(enc);
        mask_token = Parameter(zeros(1, 1, enc.Width));
        if (!config.MaskTokens)
        {
            neck = new Block(enc.Width, enc.Heads, enc.MlpRatio);
            neck_norm = LayerNorm(enc.Width, eps: 1e-6);
        }
        projector = ContrastiveMae.Mlp(enc.Width, config.HiddenDim, config.Dim);
        position = PosEmbed.SinCos2D(enc.Width, enc.GridSize, clsToken: false).unsqueeze(0);
        RegisterComponents();
        using var _ = no_grad();
        Init.Normal(mask_token, 0.02);   // as MAE's decoder mask token
    }

    public VisionTransformer Encoder => encoder;

    /// <summary>
    /// Patch tokens with the mask token in place of every masked patch's embedding, position embedding added to all:
    /// [N, L, D]. <paramref name="mask"/> [N, L]: 1 = masked.
    /// </summary>
    internal Tensor EmbedWithMaskTokens(Tensor images, Tensor mask)
    {
        var tokens = encoder.EmbedPatches(images);                                   // [N, L, D] patch + position
        var m = mask.unsqueeze(-1).to(tokens.dtype);                                 // [N, L, 1]
        var masked = mask_token + position.to(tokens.device);                        // [1, L, D]
        return tokens * (1 - m) + masked * m;                                        // [N, L, D]
    }

    /// <summary>The projected token map [N, 1+L, Dim] of images [N, C, H, W] under mask [N, L] (1 = masked).</summary>
    public Tensor Forward(Tensor images, Tensor mask) => projector.forward(Features(images, mask));

    /// <summary>The encoder's token map [N, 1+L, D] of images under mask (before the projector).</summary>
    public Tensor Features(Tensor images, Tensor mask)
    {
        if (config.MaskTokens) return encoder.Encode(EmbedWithMaskTokens(images, mask)).Latent;   // [N, 1+L, D]

        // MAE's way: the encoder sees only the visible patches ...
        long n = images.shape[0], l = mask.shape[1], d = config.Encoder.Width;
        var tokens = encoder.EmbedPatches(images);                                   // [N, L, D]
        int keep = (int)(l - mask[0].sum().item<float>());
        var order = mask * l + arange(l, device: mask.device);                         // [N, L] visible first, each in grid order
        var idsKeep = order.argsort(1)[.., ..keep];                                  // [N, K] visible positions
        var visible = tokens.gather(1, idsKeep.unsqueeze(-1).expand(-1, -1, d));    // [N, K, D]
        var latent = encoder.Encode(visible).Latent;                                 // [N, 1+K, D]

        // ... then the mask tokens fill the rest of the map and one block mixes them with the encoded tokens
        var full = (mask_token + position.to(tokens.device)).expand(n, -1, -1).clone();       // [N, L, D]
        full = full.scatter(1, idsKeep.unsqueeze(-1).expand(-1, -1, d), latent[.., 1..]);     // [N, L, D]
        var x = cat(new[] { latent[.., ..1], full }, 1);                             // [N, 1+L, D]
        return neck_norm!.forward(neck!.forward(x));                                 // [N, 1+L, D]
    }
}

/// <summary>
/// Contrastive MAE (relaxmim §3): the siamese form of MAE with InfoNCE as the similarity. View 1 keeps a random 25 % of
/// the patches, view 2 the other 75 % (Eq. 6); each view gets colour jitter after masking; an online branch
/// (encoder with learnable mask tokens, 2-layer GELU projector) and a 2-layer GELU predictor give q, an EMA copy of the
/// branch gives k, and the loss is the symmetric ctr(q1, k2) + ctr(q2, k1) on the chosen tokens (Eq. 9–11, following
/// MoCo v3). Masked and full images give token maps of the same length, so a token-wise loss compares position i of
/// one view with position i of the other; the negatives of a token are the same position in the other images.
/// Projector and predictor have no normalisation layer (the paper names only GELU).
/// </summary>
public sealed class ContrastiveMae : Module
{
    readonly CMaeBranch online;
    readonly CMaeBranch target;
    readonly Sequential predictor;
    readonly Ema ema;

    public CMaeConfig Config { get; }

    public ContrastiveMae(CMaeConfig config) : base(nameof(ContrastiveMae))
    {
        Config = config.Validate();
        online = new CMaeBranch(config);
        target = new CMaeBranch(config);
        predictor = Mlp(config.Dim, config.HiddenDim, config.Dim);
        RegisterComponents();
        ema = new Ema(target, online);   // copies the online branch in and freezes the target
    }

    /// <summary>The online encoder: what probes and fine-tuning read.</summary>
    public VisionTransformer Encoder => online.Encoder;
    internal CMaeBranch Online => online;
    internal CMaeBranch Target => target;

    /// <summary>Linear → GELU → Linear: the paper's 2-layer projector and predictor.</summary>
    internal static Sequential Mlp(int input, int hidden, int output) =>
        Sequential(Init.Linear(input, hidden), GELU(), Init.Linear(hidden, output));

    /// <summary>The two complementary masks [N, L] (1 = masked) of Eq. 6, from noise [N, L]; all zeros without masking.</summary>
    public (Tensor Mask1, Tensor Mask2) Masks(Tensor noise)
    {
        if (!Config.Masking) return (zeros_like(noise), zeros_like(noise));
        var mask1 = RandomMasking.Apply(noise.unsqueeze(-1), Config.MaskRatio, noise).Mask;   // [N, L] view 1 sees 1 − ratio
        return (mask1, 1 - mask1);                                                              // view 2 sees what view 1 lost
    }

    /// <summary>A view: masked patches zeroed, then (optionally) colour jitter, so the jitter sees the masked image.</summary>
    internal Tensor View(Tensor images, Tensor mask, Generator generator)
    {
        var p = Config.Encoder.PatchSize;
        var view = Config.Masking ? Patches.MaskImages(images, mask, p, fill: 0) : images;   // [N, C, H, W]
        return Config.ColorJitter ? Augment.ColorJitter(view, generator, 0.4, 0.4, 0.4, 0.1, p: 0.8) : view;
    }

    /// <summary>The loss of a batch of images [N, C, H, W] in [0, 1]; masks, jitter and cutmix come from the generator.</summary>
    public Tensor Forward(Tensor images, Generator generator)
    {
        var enc = Config.Encoder;
        Shapes.Image(images, enc);
        if (images.shape[0] < 2) throw new ArgumentException($"C-MAE needs at least 2 images per batch (negatives), got {Shapes.Of(images)}.");
        ArgumentNullException.ThrowIfNull(generator);

        // the two views: cutmix (optional), complementary masks, colour jitter after masking
        if (Config.CutMix) images = Augment.CutMix(images, generator);
        var (mask1, mask2) = Masks(rand(images.shape[0], enc.NumPatches, generator: generator).to(images.device));
        var x1 = View(images, mask1, generator);                                      // [N, C, H, W]
        var x2 = View(images, mask2, generator);

        // online: branch then predictor; target: the EMA branch, no gradient
        var q1 = predictor.forward(online.Forward(x1, mask1));                        // [N, 1+L, Dim]
        var q2 = predictor.forward(online.Forward(x2, mask2));
        Tensor k1, k2;
        using (no_grad())
        {
            k1 = target.Forward(x1, mask1);                                           // [N, 1+L, Dim]
            k2 = target.Forward(x2, mask2);
        }

        // the symmetric loss on the chosen tokens
        return Similarity(q1, k2) + Similarity(q2, k1);
    }

    /// <summary>The loss between predictions q and targets k [N, 1+L, Dim] on the configured tokens.</summary>
    internal Tensor Similarity(Tensor q, Tensor k)
    {
        Tensor Measure(Tensor a, Tensor b) => Config.Loss == CMaeLoss.InfoNce ? Contrastive.InfoNce(a, b, Config.Temperature) : Contrastive.Byol(a, b);
        return Config.Tokens switch
        {
            CMaeTokens.Cls => Measure(q[.., 0], k[.., 0]),                                                    // [N, Dim]
            CMaeTokens.MeanToken => Measure(q[.., 1..].mean(new long[] { 1 }), k[.., 1..].mean(new long[] { 1 })), // [N, Dim]
            CMaeTokens.Tokens => Measure(q[.., 1..], k[.., 1..]),                                             // [N, L, Dim]
            CMaeTokens.TokensAndCls => Measure(q, k),                                                         // [N, 1+L, Dim]: the mean over 1+L terms
            _ => throw new ArgumentOutOfRangeException(nameof(Config.Tokens), Config.Tokens, "Unknown token choice."),
        };
    }

    /// <summary>target ← m·target + (1 − m)·online.</summary>
    public void UpdateTarget(double momentum) => ema.Update(momentum);

    /// <summary>
    /// Lazily trains <paramref name="model"/> on images [N, C, H, W] in [0, 1]; after each optimiser step the target
    /// follows by EMA (momentum from <see cref="CMaeConfig.Momentum"/> to 1, half cosine). Enumerate the records to run it.
    /// </summary>
    public static IEnumerable<StepRecord> Steps(ContrastiveMae model, Tensor images, TrainConfig train, CancellationToken cancel = default)
    {
        Shapes.Image(images, model.Config.Encoder);
        long total = Trainer.TotalSteps(images.shape[0], train);
        return Trainer.Steps(model, images, null, (batch, _, generator) => model.Forward(batch, generator), train,
            afterStep: step => model.UpdateTarget(Ema.CosineMomentum(model.Config.Momentum, step + 1, total)),
            cancel: cancel);
    }
}
