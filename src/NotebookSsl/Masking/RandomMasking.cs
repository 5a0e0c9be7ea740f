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
    /// Tokens kept at a mask ratio: int(L·(1 − ratio)), truncated, exactly as official models_mae.py
    /// (<c>len_keep = int(L * (1 - mask_ratio))</c>). The product is computed in double, as Python's float,
    /// so floating-point error truncates the same way: at L = 49, ratio 0.9 keeps int(4.899999999999999) = 4 (not 5),
    /// ratio 0.5 keeps int(24.5) = 24; at L = 64, ratio 0.6 keeps int(25.6) = 25.
    /// </summary>
    public static int KeepCount(int numTokens, double maskRatio)
    {
        CheckRatio(maskRatio);
        double kept = numTokens * (1 - maskRatio);   // Python: L * (1 - mask_ratio), an IEEE double
        int keep = (int)kept;                         // Python int(): truncation toward zero
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

    /// <summary>Masks x [N, L, D] by the given noise [N, L]: keeps the int(L·(1−ratio)) tokens of least noise (official truncation).</summary>
    public static MaskedTokens Apply(Tensor x, double maskRatio, Tensor noise)
    {
        if (x.dim() != 3) throw new ArgumentException($"Tokens must be [N, L, D], got {Shapes.Of(x)}.");
        long n = x.shape[0], l = x.shape[1], d = x.shape[2];
        if (noise.dim() != 2 || noise.shape[0] != n || noise.shape[1] != l)
            throw new ArgumentException($"The noise must be [{n}, {l}] like the tokens, got {Shapes.Of(noise)}.");
        return Keep(x, KeepCount((int)l, maskRatio), noise);
    }

    /// <summary>
    /// Masks x [N, L, D] keeping the <paramref name="keep"/> tokens of least noise [N, L]: for a count that is not
    /// a ratio's (R-MAE's second view keeps exactly the L − K tokens its first view hid; recomputing a ratio from them
    /// would truncate one too few at some L).
    /// </summary>
    internal static MaskedTokens Keep(Tensor x, int keep, Tensor noise)
    {
        long n = x.shape[0], l = x.shape[1], d = x.shape[2];
        if (keep < 1 || keep > l) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"Between 1 and {l} tokens can be kept.");

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
