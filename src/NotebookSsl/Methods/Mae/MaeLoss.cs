using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Methods.Mae;

/// <summary>MAE's forward_loss: mean squared error per patch, averaged over the removed patches only.</summary>
public static class MaeLoss
{
    /// <summary>The regression target: the patches, or each patch normalised by its own mean and (unbiased) variance.</summary>
    public static Tensor Target(Tensor patches, bool normPix)
    {
        if (!normPix) return patches;
        var mean = patches.mean(new long[] { -1 }, keepdim: true);          // [N, L, 1]
        var variance = patches.var(-1, unbiased: true, keepdim: true);      // [N, L, 1]
        return (patches - mean) / (variance + 1e-6).sqrt();                 // [N, L, p²C]
    }

    /// <summary>Σ_masked mean_j (pred − target)² / Σ mask.</summary>
    /// <param name="pred">[N, L, p²C]</param>
    /// <param name="patches">[N, L, p²C] the patchified images</param>
    /// <param name="mask">[N, L], 1 on removed patches</param>
    public static Tensor Compute(Tensor pred, Tensor patches, Tensor mask, bool normPix)
    {
        if (!pred.shape.SequenceEqual(patches.shape) || mask.dim() != 2 || mask.shape[0] != pred.shape[0] || mask.shape[1] != pred.shape[1])
            throw new ArgumentException($"pred {Shapes.Of(pred)}, target {Shapes.Of(patches)} and mask {Shapes.Of(mask)} do not agree.");
        var perPatch = (pred - Target(patches, normPix)).pow(2).mean(new long[] { -1 }); // [N, L]
        return (perPatch * mask).sum() / mask.sum();
    }
}
