using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.MultiViewMae;

/// <summary>One multi-view MAE pass.</summary>
/// <param name="Loss">Scalar: L_r + λ L_c.</param>
/// <param name="ReconstructionLoss">Scalar L_r: the MAE loss averaged over both views' masked patches.</param>
/// <param name="ContrastiveLoss">Scalar L_c: NT-Xent between the two views' pooled latents (unweighted).</param>
/// <param name="Pooled1">[N, D] view 1's pooled latent (mean of its visible patch tokens).</param>
/// <param name="Pooled2">[N, D] view 2's pooled latent.</param>
/// <param name="Mae">The MAE pass over both views stacked: view 1 is rows [0, N), view 2 rows [N, 2N).</param>
public sealed record MultiViewOutput(Tensor Loss, Tensor ReconstructionLoss, Tensor ContrastiveLoss, Tensor Pooled1, Tensor Pooled2, MaeOutput Mae);

/// <summary>
/// The multi-view masked autoencoder of multi-view-mae.md: two augmented views of each image
/// (RandomResizedCrop + flip), each masked independently, one shared MAE (encoder and decoder), the MSE
/// reconstruction of each view, and NT-Xent (SimCLR, τ = 0.07) between the views' pooled encoder latents
/// across the batch: L = L_r + λ L_c. There are no extra parameters (the paper contrasts the latents
/// directly, without a projector), so the state dict is the MAE's, under its official names.
/// The pooled latent is the mean of the visible patch tokens after the encoder's norm (the paper says
/// "latent representation"; a mean pool is the choice that uses every token).
/// </summary>
public sealed class MultiViewMaskedAutoencoder : Module
{
    public MultiViewMaeConfig Config { get; }
    /// <summary>The shared MAE (its encoder is what gets probed).</summary>
    public MaskedAutoencoder Mae { get; }
    public VisionTransformer Encoder => Mae.Encoder;

    public MultiViewMaskedAutoencoder(MultiViewMaeConfig config) : base(nameof(MultiViewMaskedAutoencoder))
    {
        Config = config.Validate();
        Mae = new MaskedAutoencoder(config.Mae);
        // the MAE's members under their own names, so the weights read like an MAE's
        foreach (var (name, child) in Mae.named_children()) register_module(name, child);
        foreach (var (name, parameter) in Mae.named_parameters(recurse: false)) register_parameter(name, parameter);
    }

    /// <summary>The two views' augmentation: RandomResizedCrop(scale CropScaleMin..1) to the image size, then a horizontal flip.</summary>
    public ViewAugmentation Augmentation => ViewAugmentation.Mae(Config.Mae.Encoder.ImageSize) with { ScaleMin = Config.CropScaleMin };

    /// <summary>
    /// Both views [N, C, H, W] through the shared MAE (stacked into one batch of 2N), then NT-Xent between
    /// their pooled latents. Pass <paramref name="noise1"/> / <paramref name="noise2"/> [N, L] to replay masks.
    /// </summary>
    public MultiViewOutput Forward(Tensor view1, Tensor view2, Tensor? noise1 = null, Tensor? noise2 = null, Generator? generator = null)
    {
        var enc = Config.Mae.Encoder;
        Shapes.Image(view1, enc, nameof(view1));
        Shapes.Image(view2, enc, nameof(view2));
        long n = view1.shape[0];
        if (view2.shape[0] != n) throw new ArgumentException($"The views must hold the same images, got {Shapes.Of(view1)} and {Shapes.Of(view2)}.");

        // each view masked independently, both through the one MAE (equal masked counts: the loss is the mean of the two)
        noise1 ??= MaskNoise.Draw(Config.Mae.Masking, (int)n, enc.GridSize, Config.Mae.MaskRatio, generator, Config.Mae.MaskUnit);
        noise2 ??= MaskNoise.Draw(Config.Mae.Masking, (int)n, enc.GridSize, Config.Mae.MaskRatio, generator, Config.Mae.MaskUnit);
        var output = Mae.Forward(cat(new[] { view1, view2 }, 0), cat(new[] { noise1, noise2 }, 0).to(view1.device)); // over [2N, ...]

        // pool each view's visible latents and contrast them across the batch
        var pooled = output.Latent[.., 1.., ..].mean(new long[] { 1 });       // [2N, D]
        var (pooled1, pooled2) = (pooled[..(int)n], pooled[(int)n..]);          // [N, D] each
        var contrastive = NtXent(pooled1, pooled2, Config.Temperature);
        var loss = Config.ContrastiveWeight > 0 ? output.Loss + Config.ContrastiveWeight * contrastive : output.Loss;
        return new MultiViewOutput(loss, output.Loss, contrastive, pooled1, pooled2, output);
    }

    /// <summary>
    /// NT-Xent (SimCLR; the paper's Eq. 4–6): cosine similarities / τ among the 2N latents; each one's positive
    /// is the other view of its image, the other 2N − 2 are negatives; cross-entropy averaged over all 2N anchors.
    /// </summary>
    public static Tensor NtXent(Tensor z1, Tensor z2, double temperature)
    {
        if (z1.dim() != 2 || !z1.shape.SequenceEqual(z2.shape) || z1.shape[0] < 2)
            throw new ArgumentException($"NT-Xent needs two [N, D] batches of the same shape with N ≥ 2, got {Shapes.Of(z1)} and {Shapes.Of(z2)}.");
        if (!(temperature > 0)) throw new ArgumentException($"The temperature must be positive, got {temperature}.");
        long n = z1.shape[0];

        // cosine similarity of every pair, self-pairs removed
        var z = nn.functional.normalize(cat(new[] { z1, z2 }, 0), dim: 1);                 // [2N, D]
        var logits = z.matmul(z.T) / temperature;                                           // [2N, 2N]
        logits = logits.masked_fill(eye(2 * n, dtype: ScalarType.Bool, device: z.device), double.NegativeInfinity);

        // the positive of i is i + N, of i + N is i
        var targets = cat(new[] { arange(n, 2 * n), arange(0, n) }, 0).to(z.device);       // [2N]
        return nn.functional.cross_entropy(logits, targets);
    }

    /// <summary>
    /// Multi-view MAE pretraining, lazy: enumerate the records to train. Each batch gets two augmented views
    /// (or one, used twice, without <see cref="MultiViewMaeConfig.TwoTargets"/>) and two masks, all drawn from
    /// the run's generator.
    /// </summary>
    public static IEnumerable<StepRecord> Steps(MultiViewMaskedAutoencoder model, Tensor images, TrainConfig config, CancellationToken cancel = default)
    {
        var augmentation = model.Augmentation;
        return Trainer.Steps(model, images, null, (batch, _, generator) =>
        {
            var view1 = augmentation.Apply(batch, generator).Images;                        // [B, C, H, W]
            var view2 = model.Config.TwoTargets ? augmentation.Apply(batch, generator).Images : view1;
            return model.Forward(view1, view2, generator: generator).Loss;
        }, config, cancel: cancel);
    }

    /// <summary>Trainable parameter count (the MAE's).</summary>
    public long ParameterCount => Mae.ParameterCount;
}
