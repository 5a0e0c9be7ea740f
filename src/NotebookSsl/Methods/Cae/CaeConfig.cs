using NotebookSsl.Masking;
using NotebookSsl.Models;

namespace NotebookSsl.Methods.Cae;

/// <summary>
/// Everything that defines a context autoencoder (context-autoencoder-cae.md, §3), with the paper's
/// choices as defaults where they carry over to laptop size. The regressor and the decoder work at the
/// encoder's width (as the official ViT-B recipe, decoder_embed_dim = 768), so no projection sits between
/// them and the encoder.
/// </summary>
public sealed record CaeConfig
{
    /// <summary>The encoder; see <see cref="VitConfig"/> for its defaults.</summary>
    public VitConfig Encoder { get; init; } = new();
    /// <summary>Cross-attention blocks of the latent contextual regressor (the paper: 4; 2 suit a 4–6 block encoder).</summary>
    public int RegressorDepth { get; init; } = 2;
    /// <summary>Self-attention blocks of the decoder over the masked positions only (the paper: 4).</summary>
    public int DecoderDepth { get; init; } = 2;
    /// <summary>
    /// Table 2's "w/o decoder": false replaces the decoder blocks by nothing, so one linear layer maps the
    /// predicted latents to the targets (the paper's own replacement).
    /// </summary>
    public bool UseDecoder { get; init; } = true;
    /// <summary>λ of Eq. 1, the weight of the alignment MSE (the paper: 2; 0 is Table 2's "w/o alignment").</summary>
    public double AlignmentWeight { get; init; } = 2.0;
    /// <summary>Fraction of patches masked (the paper: 50 %, Table 5 tries 40 / 50 / 60 %).</summary>
    public double MaskRatio { get; init; } = 0.5;
    /// <summary>How the masked patches are chosen (the paper: BEiT's block-wise masking).</summary>
    public MaskingKind Masking { get; init; } = MaskingKind.Block;
    /// <summary>
    /// Regress per-patch normalised pixels. The paper's targets are DALL-E / d-VAE tokens; its Table 9 shows
    /// pixel targets work as well, and normalised pixels are MAE's best pixel target.
    /// </summary>
    public bool NormPixLoss { get; init; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistency.</summary>
    public CaeConfig Validate()
    {
        Encoder.Validate();
        int keep = RandomMasking.KeepCount(Encoder.NumPatches, MaskRatio);
        if (keep == Encoder.NumPatches) throw new ArgumentException($"A mask ratio of {MaskRatio} masks no patch of {Encoder.NumPatches}: CAE needs some to predict.");
        if (RegressorDepth < 1) throw new ArgumentException($"RegressorDepth must be at least 1 (the regressor is the only path to the masked patches), got {RegressorDepth}.");
        if (DecoderDepth < 0 || (UseDecoder && DecoderDepth == 0)) throw new ArgumentException($"DecoderDepth must be ≥ 1 with a decoder, got {DecoderDepth}.");
        if (!(AlignmentWeight >= 0)) throw new ArgumentException($"AlignmentWeight must be ≥ 0, got {AlignmentWeight}.");
        return this;
    }
}
