using TorchSharp;
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
