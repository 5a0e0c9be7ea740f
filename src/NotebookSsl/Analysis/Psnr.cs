using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Peak signal-to-noise ratio in dB, 10 log10(range² / MSE), between images <c>[N, C, H, W]</c> whose values lie
/// in [0, range] (un-normalise and clamp reconstructions first; nothing is clamped here). Identical images give
/// MSE 0 and PSNR <see cref="double.PositiveInfinity"/>. The mean over images is the mean of the per-image dB
/// values (not the PSNR of the mean MSE); it is +inf when any image is reproduced exactly.
/// <para>
/// The masked variant scores only the pixels of masked patches: <c>mask [N, L]</c> in MAE's convention
/// (1 = masked/removed, 0 = kept) over the (H/p) x (W/p) patch grid in row-major order; images with no masked
/// patch get NaN, and the mean skips them.
/// </para>
/// </summary>
public static class Psnr
{
    /// <summary>PSNR in dB of one mean squared error (+inf for 0).</summary>
    public static double FromMse(double mse, double dataRange = 1.0)
    {
        RequireRange(dataRange);
        if (double.IsNaN(mse) || mse < 0) throw new ArgumentOutOfRangeException(nameof(mse), mse, "the MSE must be a non-negative number.");
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(dataRange * dataRange / mse);
    }

    /// <summary>PSNR of every image -> <c>double[N]</c>.</summary>
    public static double[] PerImage(Tensor prediction, Tensor target, double dataRange = 1.0)
    {
        RequireImages(prediction, target);
        RequireRange(dataRange);
        using var scope = NewDisposeScope();
        var diff = prediction.to(float64) - target.to(float64, prediction.device); // [N, C, H, W]
        var mse = diff.square().mean(new long[] { 1, 2, 3 }).cpu(); // [N]
        return mse.data<double>().ToArray().Select(m => FromMse(m, dataRange)).ToArray();
    }

    /// <summary>Mean over images of <see cref="PerImage"/>.</summary>
    public static double Mean(Tensor prediction, Tensor target, double dataRange = 1.0)
        => PerImage(prediction, target, dataRange).Average();

    /// <summary>PSNR of every image over the pixels of its masked patches only -> <c>double[N]</c> (NaN: nothing masked).</summary>
    public static double[] MaskedPerImage(Tensor prediction, Tensor target, Tensor mask, int patchSize, double dataRange = 1.0)
    {
        RequireImages(prediction, target);
        RequireRange(dataRange);
        ArgumentNullException.ThrowIfNull(mask);
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "the patch size must be at least 1 pixel.");
        long n = prediction.shape[0], c = prediction.shape[1], h = prediction.shape[2], w = prediction.shape[3];
        if (h % patchSize != 0 || w % patchSize != 0)
            throw new ArgumentException($"image size {h}x{w} is not a multiple of the patch size {patchSize}.", nameof(patchSize));
        long gh = h / patchSize, gw = w / patchSize;
        if (mask.dim() != 2 || mask.shape[0] != n || mask.shape[1] != gh * gw)
            throw new ArgumentException(
                $"mask must be [N, L] = [{n}, {gh * gw}] ({gh}x{gw} patches of {patchSize} px), got {Shapes.Of(mask)}.", nameof(mask));

        using var scope = NewDisposeScope();
        var m = mask.to(float64, prediction.device);                                        // [N, L]
        if (m.lt(0).any().item<bool>() || m.gt(1).any().item<bool>())
            throw new ArgumentException("mask values must lie in [0, 1] (1 = masked).", nameof(mask));
        var pixels = m.view(n, 1, gh, 1, gw, 1).expand(n, 1, gh, patchSize, gw, patchSize)
                      .reshape(n, 1, h, w);                                                 // [N, 1, H, W]
        var diff = prediction.to(float64) - target.to(float64, prediction.device);          // [N, C, H, W]
        var squared = (diff.square() * pixels).sum(new long[] { 1, 2, 3 }).cpu(); // [N]
        var weight = (pixels.sum(new long[] { 1, 2, 3 }) * c).cpu(); // [N]
        var sse = squared.data<double>().ToArray();
        var count = weight.data<double>().ToArray();
        return sse.Select((s, i) => count[i] == 0 ? double.NaN : FromMse(s / count[i], dataRange)).ToArray();
    }

    /// <summary>Mean of <see cref="MaskedPerImage"/> over the images that have a masked patch (NaN if none has).</summary>
    public static double MaskedMean(Tensor prediction, Tensor target, Tensor mask, int patchSize, double dataRange = 1.0)
    {
        var values = MaskedPerImage(prediction, target, mask, patchSize, dataRange).Where(v => !double.IsNaN(v)).ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }

    static void RequireImages(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (prediction.dim() != 4)
            throw new ArgumentException($"prediction must be images [N, C, H, W], got {Shapes.Of(prediction)}.", nameof(prediction));
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException(
                $"prediction {Shapes.Of(prediction)} and target {Shapes.Of(target)} differ in shape.", nameof(target));
        if (prediction.numel() == 0) throw new ArgumentException("prediction is empty.", nameof(prediction));
    }

    static void RequireRange(double dataRange)
    {
        if (!(dataRange > 0) || double.IsInfinity(dataRange))
            throw new ArgumentOutOfRangeException(nameof(dataRange), dataRange, "the data range must be a positive finite number (1 for [0, 1], 255 for bytes).");
    }

    /// <summary>
    /// Mean PSNR in dB over the removed patches of held-out images (random masks from <paramref name="maskSeed"/>),
    /// predictions un-normalised with each patch's own mean and variance as MAE's visualisation does.
    /// </summary>
    public static double OfReconstruction(MaskedAutoencoder mae, Tensor images, int maskSeed = 0, int batchSize = 128)
    {
        Shapes.Image(images, mae.Config.Encoder);
        var generator = new Generator((ulong)maskSeed);
        var values = new List<double>();
        EvalBatches.ForEach(mae, images, batchSize, (batch, _) =>
        {
            var output = mae.Forward(batch, generator: generator);
            var reconstruction = mae.Reconstruct(batch, output);                                  // [B, C, H, W]
            values.AddRange(MaskedPerImage(reconstruction, batch, output.Mask, mae.Config.Encoder.PatchSize).Where(v => !double.IsNaN(v)));
        });
        return values.Average();
    }
}
