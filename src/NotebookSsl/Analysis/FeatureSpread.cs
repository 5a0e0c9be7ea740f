using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// How much of what a fine-tuning head sees at its start differs between images. The feature is the
/// <see cref="Probes.Classifier"/>'s input: the mean of the encoder's patch tokens (no final norm), then a LayerNorm
/// without affine (fc_norm at initialisation). The spread is the variance across images summed over features, over the
/// mean squared norm: 1 when the images' features share no common vector, near 0 when every image gives almost the same
/// vector. A head trained for a few steps on near-identical inputs predicts one class; a linear probe with BatchNorm
/// (MAE's protocol) standardises each feature first and does not see the common vector.
/// </summary>
public static class FeatureSpread
{
    /// <summary>The spread of features [N, D] (N ≥ 2) after a LayerNorm without affine, in [0, 1].</summary>
    public static double OfFeatures(Tensor features)
    {
        if (features.dim() != 2 || features.shape[0] < 2)
            throw new ArgumentException($"features must be [N >= 2, D], got {Shapes.Of(features)}.", nameof(features));
        using var scope = NewDisposeScope();
        var normed = nn.functional.layer_norm(features.to(float64), new[] { features.shape[1] });   // [N, D], each row mean 0, variance 1
        double across = normed.var(0, unbiased: false).sum().item<double>();                      // Σ_d Var_n
        double total = normed.pow(2).sum(1).mean().item<double>();                                 // E_n ‖x_n‖²
        return total == 0 ? 0 : across / total;
    }

    /// <summary>The spread of the fine-tuning head's input over <paramref name="images"/> [N, C, H, W] (no gradient, eval mode).</summary>
    public static double OfEncoder(VisionTransformer encoder, Tensor images)
    {
        Shapes.Image(images, encoder.Config);
        return EvalBatches.Once(encoder, () =>
        {
            var tokens = encoder.Encode(encoder.EmbedPatches(images), applyNorm: false).Latent;   // [N, 1+L, D]
            return OfFeatures(tokens[.., 1..].mean(new long[] { 1 }));                          // [N, D] mean patch token
        });
    }
}
