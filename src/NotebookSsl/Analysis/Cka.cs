using TorchSharp;
using NotebookSsl.Masking;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Linear centred kernel alignment (Kornblith et al. 2019), as used for "features of masked vs full images" in
/// relaxmim (Fig. 1). For feature matrices X <c>[N, D1]</c> and Y <c>[N, D2]</c> of the same N examples, with
/// columns centred: CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with K = X Xᵀ, L = Y Yᵀ, which for linear
/// kernels is |Yᵀ X|_F² / (|Xᵀ X|_F |Yᵀ Y|_F). The 1/(N-1)² factors of HSIC cancel. In [0, 1]; invariant to
/// orthogonal transforms and isotropic scaling of either side. Computed in float64, in feature space or in Gram
/// space, whichever needs less memory.
/// <para>
/// Token features <c>[N, L, D]</c> must be made 2-D first: pool over tokens (<c>mean(1)</c>) or flatten
/// (<c>reshape(N, L * D)</c>). Returns NaN when either side has no variance (all rows equal after centring).
/// </para>
/// </summary>
public static class Cka
{
    /// <summary>Linear CKA between X <c>[N, D1]</c> and Y <c>[N, D2]</c>, N &gt;= 2.</summary>
    public static double Linear(Tensor x, Tensor y)
    {
        RequireFeatures(x, nameof(x));
        RequireFeatures(y, nameof(y));
        if (x.shape[0] != y.shape[0])
            throw new ArgumentException($"x and y must hold the same examples: x has N = {x.shape[0]} rows, y has {y.shape[0]}.", nameof(y));
        if (x.shape[0] < 2)
            throw new ArgumentException("CKA needs at least 2 examples (rows).", nameof(x));

        using var scope = NewDisposeScope();
        long n = x.shape[0], d1 = x.shape[1], d2 = y.shape[1];
        var xc = x.to(float64); xc = xc - xc.mean(new long[] { 0 }, keepdim: true); // [N, D1]
        var yc = y.to(float64, x.device); yc = yc - yc.mean(new long[] { 0 }, keepdim: true); // [N, D2]
        double cross, selfX, selfY;
        if (2 * n * n < d1 * d2 + d1 * d1 + d2 * d2)
        {
            var k = xc.matmul(xc.t());                        // [N, N]
            var l = yc.matmul(yc.t());                        // [N, N]
            cross = (k * l).sum().item<double>();
            selfX = k.square().sum().item<double>();
            selfY = l.square().sum().item<double>();
        }
        else
        {
            cross = yc.t().matmul(xc).square().sum().item<double>(); // [D2, D1] -> scalar
            selfX = xc.t().matmul(xc).square().sum().item<double>(); // [D1, D1] -> scalar
            selfY = yc.t().matmul(yc).square().sum().item<double>(); // [D2, D2] -> scalar
        }
        if (selfX == 0 || selfY == 0) return double.NaN;
        return cross / Math.Sqrt(selfX * selfY);
    }

    /// <summary>
    /// Occlusion invariance (relaxmim Fig. 1): linear CKA between an encoder's features of full and of masked images,
    /// per mask ratio and block → <c>[ratio][block]</c>. A masked image is given as MAE gives it: the encoder sees only
    /// its visible patches (any ViT can, so every method is measured alike). An image's feature at a block is the mean
    /// of its patch tokens there. The masks are drawn from <paramref name="seed"/>; the encoder's mode is restored.
    /// </summary>
    /// <param name="images">[A, C, H, W] held-out images, A &gt;= 2.</param>
    public static double[][] FullVsMasked(VisionTransformer encoder, Tensor images, IReadOnlyList<double> ratios, int seed) =>
        FullVsMasked(encoder, images, ratios, seed, maskedTokens: null);

    /// <summary>
    /// As <see cref="FullVsMasked(VisionTransformer, Tensor, IReadOnlyList{double}, int)"/> for a C-MAE encoder given
    /// masked images the way it was trained: every patch, the masked ones replaced by its learned mask token.
    /// </summary>
    public static double[][] FullVsMaskedWithMaskTokens(ContrastiveMae model, Tensor images, IReadOnlyList<double> ratios, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FullVsMasked(model.Encoder, images, ratios, seed, (x, mask) => model.Online.EmbedWithMaskTokens(x, mask));
    }

    /// <param name="maskedTokens">How a masked image enters the encoder: (images, mask [A, L], 1 = masked) → tokens; null: only the visible patches.</param>
    static double[][] FullVsMasked(VisionTransformer encoder, Tensor images, IReadOnlyList<double> ratios, int seed, Func<Tensor, Tensor, Tensor>? maskedTokens)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(ratios);
        Shapes.Image(images, encoder.Config);
        foreach (var ratio in ratios)
            if (!(ratio >= 0 && ratio < 1)) throw new ArgumentOutOfRangeException(nameof(ratios), ratio, "every mask ratio must lie in [0, 1).");
        return EvalBatches.Once(encoder, () =>
        {
            // blocks × [A, D]: the mean patch token of the full images after each block
            var full = encoder.ForwardFeatures(images, returnHidden: true).Hidden.Select(h => h[.., 1..].mean(new long[] { 1 })).ToArray();
            var generator = new Generator((ulong)seed);
            var result = new double[ratios.Count][];
            for (int r = 0; r < ratios.Count; r++)
            {
                var tokens = encoder.EmbedPatches(images);                                                         // [A, L, D]
                var noise = rand(tokens.shape[0], tokens.shape[1], generator: generator).to(images.device);         // [A, L]
                var view = RandomMasking.Apply(tokens, ratios[r], noise);                                          // visible [A, K, D]
                var input = maskedTokens is null ? view.Visible : maskedTokens(images, view.Mask);                  // [A, K or L, D]
                var masked = encoder.Encode(input, returnHidden: true).Hidden.Select(h => h[.., 1..].mean(new long[] { 1 })).ToArray();
                result[r] = full.Zip(masked, (f, m) => Linear(f, m)).ToArray();
            }
            return result;
        });
    }

    static void RequireFeatures(Tensor t, string paramName)
    {
        ArgumentNullException.ThrowIfNull(t, paramName);
        if (t.dim() != 2)
            throw new ArgumentException(
                $"{paramName} must be a feature matrix [N, D], got {Shapes.Of(t)}; pool or flatten token features first.", paramName);
        if (t.shape[1] < 1) throw new ArgumentException($"{paramName} has no feature column.", paramName);
        if (!is_floating_point(t)) throw new ArgumentException($"{paramName} must be floating point, got {t.dtype}.", paramName);
    }
}
