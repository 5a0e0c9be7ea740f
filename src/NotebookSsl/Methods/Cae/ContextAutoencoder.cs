using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Cae;

/// <summary>One CAE pass, everything a notebook or a test may want to look at.</summary>
/// <param name="Loss">Scalar: reconstruction MSE + λ · alignment MSE.</param>
/// <param name="ReconstructionLoss">Scalar: MSE on the masked patches' (normalised) pixels.</param>
/// <param name="AlignmentLoss">Scalar: MSE between predicted and encoder latents of the masked patches (unweighted).</param>
/// <param name="Pred">[N, M, p²C] pixel predictions for the masked patches, in the order of <paramref name="IdsMasked"/>.</param>
/// <param name="Mask">[N, L] 1 = masked.</param>
/// <param name="IdsKeep">[N, K] grid positions of the visible patches.</param>
/// <param name="IdsMasked">[N, M] grid positions of the masked patches.</param>
/// <param name="Latent">[N, 1+K, D] encoder output on the visible patches.</param>
/// <param name="PredictedLatent">[N, M, D] the regressor's output Z_m.</param>
/// <param name="TargetLatent">[N, M, D] the encoder's output on the masked patches alone, without gradient.</param>
/// <param name="RegressorAttention">Per regressor block [N, h, M, K+M] (when asked): queries are the masked positions only.</param>
/// <param name="DecoderAttention">Per decoder block [N, h, M, M] (when asked): the decoder sees the masked positions only.</param>
public sealed record CaeOutput(
    Tensor Loss, Tensor ReconstructionLoss, Tensor AlignmentLoss, Tensor Pred, Tensor Mask, Tensor IdsKeep, Tensor IdsMasked,
    Tensor Latent, Tensor PredictedLatent, Tensor TargetLatent,
    IReadOnlyList<Tensor> RegressorAttention, IReadOnlyList<Tensor> DecoderAttention);

/// <summary>
/// A block of CAE's latent contextual regressor (RegressorBlock in the official modeling_cae_helper.py):
/// the mask queries attend to the visible latents and to themselves, position embeddings are added to the
/// queries and keys (not the values), and the visible latents are never updated. As in the official code
/// the MLP follows a norm of the residual stream (norm2_cross), not a pre-norm branch.
/// </summary>
internal sealed class RegressorBlock : Module
{
    readonly LayerNorm norm1_q, norm1_k, norm1_v, norm2_cross;
    readonly CrossAttention cross_attn;
    readonly Mlp mlp_cross;

    public RegressorBlock(int width, int heads, double mlpRatio) : base(nameof(RegressorBlock))
    {
        norm1_q = LayerNorm(width, eps: 1e-6);
        norm1_k = LayerNorm(width, eps: 1e-6);
        norm1_v = LayerNorm(width, eps: 1e-6);
        cross_attn = new CrossAttention(width, heads);
        norm2_cross = LayerNorm(width, eps: 1e-6);
        mlp_cross = new Mlp(width, (int)(width * mlpRatio));
        RegisterComponents();
    }

    /// <param name="queries">[N, M, D] the current mask queries.</param>
    /// <param name="visible">[N, K, D] the visible latents (read, never written).</param>
    /// <param name="posQueries">[N, M, D] the masked positions' embeddings.</param>
    /// <param name="posVisible">[N, K, D] the visible positions' embeddings.</param>
    public (Tensor Output, Tensor? Map) Forward(Tensor queries, Tensor visible, Tensor posQueries, Tensor posVisible, bool returnMap)
    {
        using var scope = NewDisposeScope();
        // keys and values: the visible latents, then the queries themselves
        var kv = cat(new[] { visible, queries }, dim: 1);                               // [N, K+M, D]
        var posKv = cat(new[] { posVisible, posQueries }, dim: 1);                      // [N, K+M, D]

        // cross-attention from the mask queries only: no visible token is a query, so none is updated
        var (attended, map) = cross_attn.Forward(norm1_q.forward(queries + posQueries),
            norm1_k.forward(kv + posKv), norm1_v.forward(kv), returnMap);               // [N, M, D]
        var x = norm2_cross.forward(queries + attended);                                // [N, M, D]
        x = x + mlp_cross.forward(x);                                                   // [N, M, D]
        return (x.MoveToOuterDisposeScope(), map?.detach().MoveToOuterDisposeScope());
    }
}

/// <summary>
/// The context autoencoder of Chen et al. (context-autoencoder-cae.md; official code lxtGH/CAE,
/// modeling_cae.py): the encoder sees the visible patches only; a latent contextual regressor of
/// cross-attention blocks predicts the masked patches' latents from the visible latents; an alignment MSE
/// pulls those predictions towards the encoder's own latents of the masked patches (computed without
/// gradient); a decoder on the predicted latents only (and their positions) reconstructs the masked patches.
/// Differences from the official code: pixel targets instead of d-VAE tokens (the paper's Table 9), the
/// target comes from the encoder itself under no_grad (the official teacher is a momentum-0 copy, i.e. the
/// same weights one step old), no layer scale, and MAE's xavier initialisation.
/// Parameter names follow the official ones with pretext_neck flattened: encoder.*, mask_token,
/// regressor_blocks.*, norm, decoder_blocks.*, norm2, head.
/// </summary>
public sealed class ContextAutoencoder : Module
{
    readonly VisionTransformer encoder;
    readonly Parameter mask_token;
    readonly Parameter neck_pos_embed;
    readonly ModuleList<RegressorBlock> regressor_blocks = new();
    readonly LayerNorm norm;
    readonly ModuleList<Block> decoder_blocks = new();
    readonly LayerNorm? norm2;
    readonly Linear head;

    public CaeConfig Config { get; }
    /// <summary>The ViT encoder (probe or fine-tune it directly).</summary>
    public VisionTransformer Encoder => encoder;

    public ContextAutoencoder(CaeConfig config) : base(nameof(ContextAutoencoder))
    {
        Config = config.Validate();
        var enc = config.Encoder;
        encoder = new VisionTransformer(enc);
        mask_token = Parameter(zeros(1, 1, enc.Width));
        neck_pos_embed = Parameter(PosEmbed.SinCos2D(enc.Width, enc.GridSize, clsToken: false).unsqueeze(0), requires_grad: false); // [1, L, D]
        for (int i = 0; i < config.RegressorDepth; i++) regressor_blocks.Add(new RegressorBlock(enc.Width, enc.Heads, enc.MlpRatio));
        norm = LayerNorm(enc.Width, eps: 1e-6);
        if (config.UseDecoder)
        {
            for (int i = 0; i < config.DecoderDepth; i++) decoder_blocks.Add(new Block(enc.Width, enc.Heads, enc.MlpRatio));
            norm2 = LayerNorm(enc.Width, eps: 1e-6);
        }
        head = Init.Linear(enc.Width, enc.PatchDim);
        RegisterComponents();

        // the encoder initialised itself; the rest gets MAE's xavier init and a small mask token
        Init.MaeWeights(regressor_blocks);
        Init.MaeWeights(decoder_blocks);
        Init.MaeWeights(head);
        using (no_grad()) Init.Normal(mask_token, 0.02);
    }

    /// <summary>
    /// Masks (block-wise by default), encodes the visible patches, regresses the masked latents, aligns them
    /// with the encoder's, decodes them to pixels. Pass <paramref name="noise"/> [N, L] to replay a mask.
    /// </summary>
    public CaeOutput Forward(Tensor images, Tensor? noise = null, Generator? generator = null, bool returnAttention = false)
    {
        var enc = Config.Encoder;
        Shapes.Image(images, enc);
        long n = images.shape[0], d = enc.Width;

        // split the patches into visible and masked
        var tokens = encoder.EmbedPatches(images);                                                   // [N, L, D]
        noise ??= MaskNoise.Draw(Config.Masking, (int)n, enc.GridSize, Config.MaskRatio, generator).to(images.device);
        var masked = RandomMasking.Apply(tokens, Config.MaskRatio, noise);                           // visible [N, K, D]
        long keep = masked.IdsKeep.shape[1];
        var idsMasked = argsort(masked.IdsRestore, dim: 1)[.., (int)keep..];                              // [N, M]
        var pos = neck_pos_embed.expand(n, -1, -1);                                                  // [N, L, D]
        var posVisible = Gather(pos, masked.IdsKeep);                                                // [N, K, D]
        var posMasked = Gather(pos, idsMasked);                                                      // [N, M, D]

        // encode the visible patches only (cls token dropped for the regressor, as officially)
        var latent = encoder.Encode(masked.Visible).Latent;                                          // [N, 1+K, D]
        var visible = latent[.., 1.., ..];                                                           // [N, K, D]

        // the alignment target: the same encoder on the masked patches alone, without gradient
        Tensor target;
        using (no_grad())
            target = encoder.Encode(Gather(tokens.detach(), idsMasked)).Latent[.., 1.., ..].detach(); // [N, M, D]

        // latent contextual regressor: mask queries attend to the visible latents and to themselves
        var x = mask_token.expand(n, idsMasked.shape[1], d);                                         // [N, M, D]
        var regressorMaps = new List<Tensor>();
        foreach (var block in regressor_blocks)
        {
            (x, var map) = block.Forward(x, visible, posMasked, posVisible, returnAttention);
            if (map is not null) regressorMaps.Add(map);                                             // [N, h, M, K+M]
        }
        var predicted = norm.forward(x);                                                             // [N, M, D]

        // decode the predicted latents alone (no visible token) to pixels of the masked patches
        var (pred, decoderMaps) = Decode(predicted, posMasked, returnAttention);                     // [N, M, p²C]

        // losses: reconstruction of the masked patches, plus λ times the alignment
        var pixels = MaeLoss.Target(Patches.Patchify(images, enc.PatchSize), Config.NormPixLoss).detach(); // [N, L, p²C]
        var reconstruction = nn.functional.mse_loss(pred, Gather(pixels, idsMasked));
        var alignment = nn.functional.mse_loss(predicted, target);
        var loss = Config.AlignmentWeight > 0 ? reconstruction + Config.AlignmentWeight * alignment : reconstruction;
        return new CaeOutput(loss, reconstruction, alignment, pred, masked.Mask, masked.IdsKeep, idsMasked,
            latent, predicted, target, regressorMaps, decoderMaps);
    }

    /// <summary>
    /// The decoder: latents [N, T, D] plus their positions' embeddings [N, T, D], self-attention among
    /// those T tokens only, a norm, a linear map to pixels [N, T, p²C]. Without a decoder (Table 2) it is the
    /// linear map alone.
    /// </summary>
    internal (Tensor Pred, IReadOnlyList<Tensor> Attention) Decode(Tensor latents, Tensor positions, bool returnAttention = false)
    {
        var maps = new List<Tensor>();
        if (!Config.UseDecoder) return (head.forward(latents), maps);
        var x = latents + positions;                                                                 // [N, T, D]
        foreach (var block in decoder_blocks)
        {
            (x, var map) = block.Forward(x, returnAttention);
            if (map is not null) maps.Add(map);                                                      // [N, h, T, T]
        }
        return (head.forward(norm2!.forward(x)), maps);                                              // [N, T, p²C]
    }

    /// <summary>
    /// Fig. 3: the whole image through the encoder, then straight to the decoder, skipping the regressor.
    /// Returns predictions for every patch [N, L, p²C], in the target's (normalised) space.
    /// </summary>
    public Tensor ReconstructSkippingRegressor(Tensor images)
    {
        Shapes.Image(images, Config.Encoder);
        using var _ = no_grad();
        var latent = encoder.forward(images)[.., 1.., ..];                                           // [N, L, D]
        return Decode(latent, neck_pos_embed.expand(images.shape[0], -1, -1)).Pred;                  // [N, L, p²C]
    }

    /// <summary>
    /// Fig. 3 as a number: the MSE of <see cref="ReconstructSkippingRegressor"/> against the target of every patch
    /// (per-patch normalised pixels when <see cref="CaeConfig.NormPixLoss"/>), averaged over <paramref name="images"/>
    /// [N, C, H, W] in batches of <paramref name="batchSize"/>. 0 is perfect; predicting each patch's mean scores
    /// (p²C − 1) / p²C, about 1 (the target is divided by the unbiased std). The decoder was trained on the regressor's
    /// output only, so a low error says the encoder's latents lie where the regressor's do: what the alignment asks for.
    /// </summary>
    public double SkipReconstructionError(Tensor images, int batchSize = 256)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1.");
        double error = 0;
        Analysis.EvalBatches.ForEach(this, images, batchSize, (batch, weight) =>
        {
            var pred = ReconstructSkippingRegressor(batch);                                              // [B, L, p²C]
            var target = MaeLoss.Target(Patches.Patchify(batch, Config.Encoder.PatchSize), Config.NormPixLoss);   // [B, L, p²C]
            error += weight * nn.functional.mse_loss(pred, target).item<float>();
        });
        return error;
    }

    /// <summary>
    /// Patch predictions [N, L, p²C] as pixels [N, C, H, W]: un-normalised with each patch's true mean and
    /// variance when <see cref="CaeConfig.NormPixLoss"/> (as MAE's visualisation does), clamped to [0, 1].
    /// </summary>
    public Tensor ToPixels(Tensor images, Tensor pred)
    {
        int p = Config.Encoder.PatchSize, c = Config.Encoder.Channels;
        using var _ = no_grad();
        var patches = Patches.Patchify(images, p);                                                   // [N, L, p²C]
        if (Config.NormPixLoss)
        {
            var mean = patches.mean(new long[] { -1 }, keepdim: true);                              // [N, L, 1]
            var std = (patches.var(-1, unbiased: true, keepdim: true) + 1e-6).sqrt();               // [N, L, 1]
            pred = pred * std + mean;
        }
        return Patches.Unpatchify(pred, p, c).clamp(0, 1);                                           // [N, C, H, W]
    }

    /// <summary>Rows of <paramref name="x"/> [N, L, D] at positions <paramref name="ids"/> [N, T]: [N, T, D].</summary>
    static Tensor Gather(Tensor x, Tensor ids) => x.gather(1, ids.unsqueeze(-1).expand(-1, -1, x.shape[2]));

    /// <summary>Trainable parameter count (fixed position embeddings excluded).</summary>
    public long ParameterCount => parameters().Where(q => q.requires_grad).Sum(q => q.numel());

    /// <summary>
    /// CAE pretraining, lazy: enumerate the records to train. The run's generator draws the data order, the
    /// block masks and the optional augmentation, so a seed replays the whole curve.
    /// </summary>
    public static IEnumerable<StepRecord> Steps(ContextAutoencoder cae, Tensor images, TrainConfig config,
        Func<Tensor, Generator, Tensor>? augment = null, CancellationToken cancel = default) =>
        Trainer.Steps(cae, images, null,
            (batch, _, generator) => cae.Forward(augment is null ? batch : augment(batch, generator), generator: generator).Loss,
            config, cancel: cancel);
}
