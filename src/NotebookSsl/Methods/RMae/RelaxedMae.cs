using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Methods.RMae;

/// <summary>What the second branch of R-MAE sees (relaxmim Table 1).</summary>
public enum RMaeTarget
{
    /// <summary>R-MAE: T2(x) = x ⊙ (1 − M), exactly the patches view 1 lost (Eq. 6).</summary>
    Complement,
    /// <summary>R-MAE†: T2 an independent random mask of <see cref="RMaeConfig.T2MaskRatio"/> (25 %).</summary>
    RandomMask,
    /// <summary>R-MAE‡: T2(x) = x, the whole image (the constraint term is then a plain autoencoder).</summary>
    Identity,
}

/// <summary>R-MAE's own settings; the MAE (encoder, decoder, mask ratio, norm_pix_loss) comes from <see cref="MaeConfig"/>.</summary>
public sealed record RMaeConfig
{
    /// <summary>λ of Eq. 8, the weight of the constraint (autoencoder) term. The paper: 1.</summary>
    public double Lambda { get; init; } = 1.0;
    /// <summary>What the second branch sees (R-MAE, †, ‡).</summary>
    public RMaeTarget T2 { get; init; } = RMaeTarget.Complement;
    /// <summary>Mask ratio of T2 for <see cref="RMaeTarget.RandomMask"/> (R-MAE†: 0.25).</summary>
    public double T2MaskRatio { get; init; } = 0.25;

    public RMaeConfig Validate()
    {
        if (!(Lambda >= 0)) throw new ArgumentException($"Lambda must be non-negative, got {Lambda}.");
        if (!(T2MaskRatio >= 0 && T2MaskRatio < 1)) throw new ArgumentException($"T2MaskRatio must lie in [0, 1), got {T2MaskRatio}.");
        return this;
    }
}

/// <summary>One R-MAE pass.</summary>
/// <param name="Loss">distance + λ·constraint (Eq. 8).</param>
/// <param name="Distance">Mean over the scored patches of mean_j (d(f(T1 x)) − d(f(T2 x)))².</param>
/// <param name="Constraint">Mean over the scored patches of mean_j (d(f(T2 x)) − target)².</param>
/// <param name="Mask1">[N, L] 1 = removed from view 1 (MAE's mask).</param>
/// <param name="Mask2">[N, L] 1 = removed from view 2.</param>
/// <param name="Scored">[N, L] 1 where the loss is taken: removed from view 1 and visible in view 2.</param>
public sealed record RMaeOutput(Tensor Loss, Tensor Distance, Tensor Constraint, Tensor Mask1, Tensor Mask2, Tensor Scored);

/// <summary>
/// R-MAE, the relaxed siamese form of MAE (relaxmim Eq. 8):
/// ‖(d(f(T1 x)) − d(f(T2 x))) ⊙ (1 − M)‖² + λ‖(d(f(T2 x)) − T2(x)) ⊙ (1 − M)‖², with T1(x) = x ⊙ M MAE's masked image
/// and one decoder for both branches (φ = φ', as the paper does). It trains an ordinary <see cref="MaskedAutoencoder"/>
/// (official MAE names, so every MAE tool — fine-tuning, PSNR, the run store — applies): only the loss differs.
/// Terms are means over the scored patches, like MAE's loss, with the target normalised per patch when the MAE's
/// NormPixLoss is on. Both branches get gradients (the paper's Eq. 8 has no stop-gradient). For R-MAE† the loss is
/// taken where view 1 is masked and view 2 is not ("following MAE", §2); for R-MAE and R-MAE‡ that is all of view 1's
/// masked patches.
/// </summary>
public static class RelaxedMae
{
    /// <summary>The loss of a batch of images [N, C, H, W]; both masks are drawn from <paramref name="generator"/>.</summary>
    public static RMaeOutput Forward(MaskedAutoencoder mae, Tensor images, RMaeConfig config, Generator? generator = null)
    {
        config.Validate();
        var enc = mae.Config.Encoder;
        Shapes.Image(images, enc);
        int n = (int)images.shape[0], l = enc.NumPatches;

        // view 1: MAE's masking; view 2: the complement, an independent 25 % mask, or everything
        var tokens = mae.Encoder.EmbedPatches(images);                                           // [N, L, D]
        var noise1 = MaskNoise.Draw(mae.Config.Masking, n, enc.GridSize, mae.Config.MaskRatio, generator, mae.Config.MaskUnit).to(images.device);
        var view1 = RandomMasking.Apply(tokens, mae.Config.MaskRatio, noise1);                   // visible [N, K1, D]
        int keep1 = (int)view1.Visible.shape[1];
        var view2 = config.T2 switch
        {
            // exactly the L − K1 patches view 1 hid, counted, not recomputed from a ratio (int(L·(1 − K1/L)) truncates to
            // L − K1 − 1 at some L, e.g. 49 at 0.55); view 1's visible patches get noise above every hidden one's, so
            // ties in the noise (blocks) cannot put a patch in both views; among the hidden ones the order is 1 − noise
            RMaeTarget.Complement => RandomMasking.Keep(tokens, l - keep1, 1 - noise1 + 2 * (1 - view1.Mask)),
            RMaeTarget.RandomMask => RandomMasking.Apply(tokens, config.T2MaskRatio, rand(n, l, generator: generator).to(images.device)),
            _ => RandomMasking.Apply(tokens, 0, zeros(n, l, device: images.device)),
        };

        // both branches through the one encoder and decoder
        var pred1 = mae.Decoder.Forward(mae.Encoder.Encode(view1.Visible).Latent, view1.IdsRestore).Pred; // [N, L, p²C]
        var pred2 = mae.Decoder.Forward(mae.Encoder.Encode(view2.Visible).Latent, view2.IdsRestore).Pred; // [N, L, p²C]

        // the scored patches: masked in view 1, visible in view 2
        var scored = view1.Mask * (1 - view2.Mask);                                              // [N, L]
        var target = MaeLoss.Target(Patches.Patchify(images, enc.PatchSize), mae.Config.NormPixLoss); // [N, L, p²C]
        var distance = ScoredMse(pred1, pred2, scored);
        var constraint = ScoredMse(pred2, target, scored);
        return new RMaeOutput(distance + config.Lambda * constraint, distance, constraint, view1.Mask, view2.Mask, scored);
    }

    /// <summary>Σ_scored mean_j (a − b)² / Σ scored: MAE's per-patch MSE averaged over the scored patches.</summary>
    /// <param name="a">[N, L, P]</param>
    /// <param name="b">[N, L, P]</param>
    /// <param name="scored">[N, L], 1 where the loss is taken</param>
    internal static Tensor ScoredMse(Tensor a, Tensor b, Tensor scored)
    {
        var perPatch = (a - b).pow(2).mean(new long[] { -1 });   // [N, L]
        return (perPatch * scored).sum() / scored.sum().clamp_min(1);
    }

    /// <summary>
    /// Lazily trains <paramref name="mae"/> with the R-MAE loss on images [N, C, H, W]; the run's generator draws the
    /// data order and both masks, so a seed replays the curve. Enumerate the records to run it.
    /// </summary>
    /// <param name="augment">Optional per-batch augmentation drawing from the run's generator.</param>
    public static IEnumerable<StepRecord> Steps(MaskedAutoencoder mae, Tensor images, RMaeConfig config, TrainConfig train,
        Func<Tensor, Generator, Tensor>? augment = null, CancellationToken cancel = default)
    {
        config.Validate();
        Shapes.Image(images, mae.Config.Encoder);
        return Trainer.Steps(mae, images, null,
            (batch, _, generator) => Forward(mae, augment is null ? batch : augment(batch, generator), config, generator).Loss,
            train, cancel: cancel);
    }
}
