using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae.Decoders;
using NotebookSsl.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Mae;

/// <summary>One MAE pass, everything a notebook may want to look at.</summary>
/// <param name="Loss">Scalar: MSE on the removed patches.</param>
/// <param name="Pred">[N, L, p²C] predicted patches (normalised pixels if NormPixLoss).</param>
/// <param name="Mask">[N, L] 1 = removed.</param>
/// <param name="IdsRestore">[N, L] int64.</param>
/// <param name="Latent">[N, 1+K, D] encoder output on the visible patches.</param>
/// <param name="EncoderAttention">Per encoder block [N, h, 1+K, 1+K], when asked.</param>
/// <param name="DecoderAttention">Per decoder block [N, h, 1+L, 1+L], when asked (Transformer decoder).</param>
/// <param name="IdsKeep">[N, K] int64: grid positions of the visible patches, in encoder order.</param>
public sealed record MaeOutput(
    Tensor Loss, Tensor Pred, Tensor Mask, Tensor IdsRestore, Tensor Latent,
    IReadOnlyList<Tensor> EncoderAttention, IReadOnlyList<Tensor> DecoderAttention, Tensor IdsKeep);

/// <summary>
/// The masked autoencoder of He et al. (models_mae.py, MaskedAutoencoderViT) with a choice of decoder.
/// Its parameters carry the official state-dict names (patch_embed.proj.weight, cls_token, pos_embed,
/// blocks.*, norm.*, decoder_embed.*, mask_token, decoder_pos_embed, decoder_blocks.*, decoder_norm.*,
/// decoder_pred.*): the encoder's and the decoder's members are registered here directly, not under
/// a prefix. Build it on its device (the <c>device</c> argument) rather than moving it afterwards.
/// </summary>
public sealed class MaskedAutoencoder : Module
{
    public MaeConfig Config { get; }
    /// <summary>The ViT encoder; shares its weights with this model (fine-tune or probe it directly).</summary>
    public VisionTransformer Encoder { get; }
    public MaeDecoder Decoder { get; }

    public MaskedAutoencoder(MaeConfig config, Device? device = null) : base(nameof(MaskedAutoencoder))
    {
        Config = config.Validate();
        Encoder = new VisionTransformer(config.Encoder);
        Decoder = MaeDecoder.Create(config);
        if (device is not null) { Encoder.to(device); Decoder.to(device); }
        Adopt(Encoder);
        Adopt(Decoder);
    }

    /// <summary>Registers a part's submodules, parameters and buffers under their own names, with no prefix.</summary>
    void Adopt(Module part)
    {
        foreach (var (name, child) in part.named_children()) register_module(name, child);
        foreach (var (name, parameter) in part.named_parameters(recurse: false)) register_parameter(name, parameter);
        foreach (var (name, buffer) in part.named_buffers(recurse: false, include_nonpersistent: true)) register_buffer(name, buffer, persistent: false);
    }

    /// <summary>
    /// Masks, encodes the visible patches, decodes all, and scores the removed ones. Pass
    /// <paramref name="noise"/> [N, L] to replay a mask exactly; otherwise it is drawn from
    /// <paramref name="generator"/> with the configured strategy.
    /// </summary>
    public MaeOutput Forward(Tensor images, Tensor? noise = null, Generator? generator = null, bool returnAttention = false)
    {
        var enc = Config.Encoder;
        Shapes.Image(images, enc);
        if (images.shape[0] == 0) throw new ArgumentException($"The batch is empty ({Shapes.Of(images)}): give at least one image.", nameof(images));
        if (!images.isfinite().all().item<bool>())
            throw new ArgumentException($"The images {Shapes.Of(images)} hold NaN or ±∞ values; the loss would be NaN.", nameof(images));

        // embed all patches, then keep a random subset
        var tokens = Encoder.EmbedPatches(images);                                                  // [N, L, D]
        noise ??= MaskNoise.Draw(Config.Masking, (int)images.shape[0], enc.GridSize, Config.MaskRatio, generator, Config.MaskUnit).to(images.device);
        var masked = RandomMasking.Apply(tokens, Config.MaskRatio, noise);                          // visible [N, K, D]

        // encode what is visible, decode everything
        var encoded = Encoder.Encode(masked.Visible, returnAttention);                              // [N, 1+K, D]
        var decoded = Decoder.Forward(encoded.Latent, masked.IdsRestore, returnAttention);          // [N, L, p²C]

        // score the removed patches only
        var loss = MaeLoss.Compute(decoded.Pred, Patches.Patchify(images, enc.PatchSize), masked.Mask, Config.NormPixLoss);
        return new MaeOutput(loss, decoded.Pred, masked.Mask, masked.IdsRestore, encoded.Latent,
            encoded.Attention, decoded.Attention, masked.IdsKeep);
    }

    /// <summary>
    /// Pixels of the reconstruction [N, C, H, W]: predictions on the removed patches (un-normalised with
    /// each patch's true mean and variance when NormPixLoss, as MAE's visualisation does), the input on the
    /// visible ones when <paramref name="pasteVisible"/>.
    /// </summary>
    public Tensor Reconstruct(Tensor images, MaeOutput output, bool pasteVisible = true)
    {
        int p = Config.Encoder.PatchSize, c = Config.Encoder.Channels;
        var patches = Patches.Patchify(images, p);                                        // [N, L, p²C]
        var pred = output.Pred.detach();
        if (Config.NormPixLoss)
        {
            var mean = patches.mean(new long[] { -1 }, keepdim: true);                   // [N, L, 1]
            var std = (patches.var(-1, unbiased: true, keepdim: true) + 1e-6).sqrt();    // [N, L, 1]
            pred = pred * std + mean;
        }
        var mask = output.Mask.unsqueeze(-1);                                            // [N, L, 1]
        var merged = pasteVisible ? patches * (1 - mask) + pred * mask : pred;
        return Patches.Unpatchify(merged, p, c).clamp(0, 1);                             // [N, C, H, W]
    }

    /// <summary>Trainable parameter count (fixed position embeddings excluded).</summary>
    public long ParameterCount => parameters().Where(q => q.requires_grad).Sum(q => q.numel());

    /// <summary>Trainable parameters of the decoder alone (what lc-mae-uni-ssl Table 1 compares).</summary>
    public long DecoderParameterCount => Decoder.parameters().Where(q => q.requires_grad).Sum(q => q.numel());
}
