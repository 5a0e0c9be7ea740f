using NotebookSsl.Masking;
using NotebookSsl.Models;

namespace NotebookSsl.Methods.Mae;

/// <summary>The MAE decoder families compared in lc-mae-uni-ssl.md, Table 1.</summary>
public enum DecoderKind
{
    /// <summary>MAE's Transformer decoder (depth, width, heads).</summary>
    Transformer,
    /// <summary>A fixed, normalised 2-D Gaussian (σ = 1) over a 5×5 token window, then one linear layer to pixels.</summary>
    WeightedAverage,
    /// <summary>One 5×5 convolution on the token grid, straight to pixels.</summary>
    Conv,
}

/// <summary>
/// Everything that defines an MAE, with the official recipe's choices as defaults where they carry
/// over to laptop size (lower widths and depths than ViT-B's 768/12 and the decoder's 512/8).
/// </summary>
public sealed record MaeConfig
{
    /// <summary>The encoder; see <see cref="VitConfig"/> for its defaults.</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Which decoder reconstructs the pixels.</summary>
    public DecoderKind Decoder { get; init; } = DecoderKind.Transformer;
    /// <summary>Decoder token width (official: 512). Local decoders use it too, for their embedding.</summary>
    public int DecoderWidth { get; init; } = 64;
    /// <summary>Transformer decoder blocks (official: 8). Ignored by the local decoders.</summary>
    public int DecoderDepth { get; init; } = 2;
    /// <summary>Transformer decoder heads (official: 16); must divide <see cref="DecoderWidth"/>.</summary>
    public int DecoderHeads { get; init; } = 4;
    /// <summary>Token window of the local decoders (the paper: 5×5).</summary>
    public int LocalKernel { get; init; } = 5;
    /// <summary>σ of the weighted-average decoder's Gaussian, in tokens (the paper: 1).</summary>
    public double LocalSigma { get; init; } = 1.0;
    /// <summary>Fraction of patches removed (MAE: 0.75). Must be in (0, 1) and remove at least one patch.</summary>
    public double MaskRatio { get; init; } = 0.75;
    /// <summary>How the removed patches are chosen (MAE: random; CAE: block).</summary>
    public MaskingKind Masking { get; init; } = MaskingKind.Random;
    /// <summary>
    /// Side, in tokens, of the squares random masking keeps or removes whole (1: single tokens, MAE). With small patches
    /// a larger unit keeps the masked regions as large in pixels as with large patches (SimMIM's mask patch size).
    /// </summary>
    public int MaskUnit { get; init; } = 1;
    /// <summary>Regress per-patch normalised pixels (MAE's best setting, norm_pix_loss=True).</summary>
    public bool NormPixLoss { get; init; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistency.</summary>
    public MaeConfig Validate()
    {
        Encoder.Validate();
        if (RandomMasking.KeepCount(Encoder.NumPatches, MaskRatio) == Encoder.NumPatches)
            throw new ArgumentOutOfRangeException(nameof(MaskRatio), MaskRatio, MaskRatio == 0
                ? "A mask ratio of 0 removes no patch, and the MAE loss (averaged over the removed patches) would be 0/0: use a ratio in (0, 1), MAE's is 0.75."
                : $"A mask ratio of {MaskRatio} removes no patch of {Encoder.NumPatches}, and the MAE loss (averaged over the removed patches) would be 0/0: use a larger ratio.");
        if (MaskUnit < 1 || Encoder.GridSize % MaskUnit != 0)
            throw new ArgumentException($"MaskUnit must be ≥ 1 and divide the {Encoder.GridSize}×{Encoder.GridSize} token grid, got {MaskUnit}.");
        if (MaskUnit > 1 && Masking != MaskingKind.Random)
            throw new ArgumentException($"MaskUnit applies to random masking; {Masking} masking draws its own shapes.");
        if (DecoderWidth <= 0 || DecoderWidth % 4 != 0) throw new ArgumentException($"DecoderWidth must be a positive multiple of 4, got {DecoderWidth}.");
        if (Decoder == DecoderKind.Transformer && (DecoderDepth < 1 || DecoderHeads < 1 || DecoderWidth % DecoderHeads != 0))
            throw new ArgumentException($"A Transformer decoder needs depth ≥ 1 and heads dividing its width; got depth {DecoderDepth}, width {DecoderWidth}, heads {DecoderHeads}.");
        if (Decoder != DecoderKind.Transformer && (LocalKernel < 1 || LocalKernel % 2 == 0))
            throw new ArgumentException($"LocalKernel must be odd and positive, got {LocalKernel}.");
        return this;
    }
}
