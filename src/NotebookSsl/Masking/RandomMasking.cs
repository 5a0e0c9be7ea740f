using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Masking;

/// <summary>The result of masking a token sequence.</summary>
/// <param name="Visible">[N, K, D] the kept tokens, in the order of ascending noise.</param>
/// <param name="Mask">[N, L] 0 = kept, 1 = removed, in the original token order.</param>
/// <param name="IdsRestore">[N, L] int64: the permutation that undoes the shuffle.</param>
/// <param name="IdsKeep">[N, K] int64: the original positions of the kept tokens.</param>
public sealed record MaskedTokens(Tensor Visible, Tensor Mask, Tensor IdsRestore, Tensor IdsKeep);

/// <summary>
/// MAE's per-sample random masking (models_mae.py, random_masking): sort the noise, keep the tokens
/// with the smallest values. The noise is an argument, so a run can be replayed exactly; a masking
/// strategy is just a way of drawing noise (see <see cref="MaskNoise"/>).
/// </summary>
public static class RandomMasking
{
    /// <summary>
    /// Tokens kept at a mask ratio: round(L·(1 − ratio)). The official code truncates with int(); the two
    /// agree whenever L·(1 − ratio) is whole (every setting in the papers), and rounding avoids losing a
    /// token to floating-point error (1 − 0.9 = 0.0999…).
    /// </summary>
    public static int KeepCount(int numTokens, double maskRatio)
    {
        CheckRatio(maskRatio);
        int keep = (int)Math.Round(numTokens * (1 - maskRatio), MidpointRounding.AwayFromZero);
        if (keep < 1)
            throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, $"A mask ratio of {maskRatio} keeps no token of {numTokens}.");
        return keep;
    }

    /// <summary>Throws, worded for the case, unless 0 ≤ <paramref name="maskRatio"/> &lt; 1.</summary>
    internal static void CheckRatio(double maskRatio)
    {
        if (double.IsNaN(maskRatio))
            throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, "The mask ratio is NaN: give the fraction of patches to remove, in [0, 1).");
        if (maskRatio < 0)
            throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, $"The mask ratio {maskRatio} is negative: it is the fraction of patches removed, in [0, 1).");
        if (maskRatio == 1)
            throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, "A mask ratio of 1 removes every patch and leaves the encoder no token to see: use a ratio below 1.");
        if (maskRatio > 1)
            throw new ArgumentOutOfRangeException(nameof(maskRatio), maskRatio, $"The mask ratio {maskRatio} is above 1: it is the fraction of patches removed, in [0, 1).");
    }

    /// <summary>Masks x [N, L, D] by the given noise [N, L]: keeps the round(L·(1−ratio)) tokens of least noise.</summary>
    public static MaskedTokens Apply(Tensor x, double maskRatio, Tensor noise)
    {
        if (x.dim() != 3) throw new ArgumentException($"Tokens must be [N, L, D], got {Shapes.Of(x)}.");
        long n = x.shape[0], l = x.shape[1], d = x.shape[2];
        if (noise.dim() != 2 || noise.shape[0] != n || noise.shape[1] != l)
            throw new ArgumentException($"The noise must be [{n}, {l}] like the tokens, got {Shapes.Of(noise)}.");
        int keep = KeepCount((int)l, maskRatio);

        // sort the noise: small is keep, large is remove
        var idsShuffle = argsort(noise, dim: 1);               // [N, L]
        var idsRestore = argsort(idsShuffle, dim: 1);          // [N, L]
        var idsKeep = idsShuffle[.., ..keep];                  // [N, K]
        var visible = x.gather(1, idsKeep.unsqueeze(-1).expand(-1, -1, d)); // [N, K, D]

        // the binary mask, unshuffled to the original order
        var mask = ones(n, l, device: x.device);                // [N, L]
        mask[.., ..keep] = 0;
        mask = mask.gather(1, idsRestore);                      // [N, L]
        return new MaskedTokens(visible, mask, idsRestore, idsKeep);
    }
}
