using NotebookSsl.Analysis;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;

namespace NotebookSsl.Tests.Analysis;

public class CkaTests
{
    /// <summary>HSIC(K, L) = tr(K H L H) with Gram matrices in float64 loops; CKA = HSIC(K,L)/sqrt(HSIC(K,K)HSIC(L,L)).</summary>
    static double BruteForce(double[] x, int n, int dx, double[] y, int dy)
    {
        double[,] Gram(double[] f, int d)
        {
            var g = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int k = 0; k < d; k++) g[i, j] += f[i * d + k] * f[j * d + k];
            return g;
        }
        double[,] Centre(double[,] g) // H G H, H = I - 11ᵀ/n
        {
            var rowMean = new double[n]; var colMean = new double[n]; double all = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) { rowMean[i] += g[i, j] / n; colMean[j] += g[i, j] / n; all += g[i, j] / ((double)n * n); }
            var c = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) c[i, j] = g[i, j] - rowMean[i] - colMean[j] + all;
            return c;
        }
        double Hsic(double[,] a, double[,] b) // tr(A_c B_c) for symmetric centred matrices
        {
            double s = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) s += a[i, j] * b[i, j];
            return s;
        }
        var kc = Centre(Gram(x, dx));
        var lc = Centre(Gram(y, dy));
        return Hsic(kc, lc) / Math.Sqrt(Hsic(kc, kc) * Hsic(lc, lc));
    }

    [Fact]
    public void SameFeaturesGiveOne()
    {
        using var scope = NewDisposeScope();
        var x = Normal(new Random(1), 50, 8);
        Assert.Equal(1.0, Cka.Linear(x, x), 9);
    }

    [Fact]
    public void InvariantToOrthogonalTransformAndIsotropicScaling()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(2);
        var x = Normal(rng, 60, 6);                          // [N, D]
        var y = Normal(rng, 60, 4) + x.narrow(1, 0, 4);      // correlated with x
        var q = linalg.qr(Normal(rng, 6, 6).to(float64)).Q.to(float32); // [D, D] orthogonal
        var transformed = x.matmul(q) * 3.7f + 2.0f;         // rotate, scale, shift
        Assert.Equal(1.0, Cka.Linear(x, transformed), 6);
        double reference = Cka.Linear(x, y);
        Assert.Equal(reference, Cka.Linear(transformed, y), 6);
        Assert.Equal(reference, Cka.Linear(y, x), 9);         // symmetric
        Assert.InRange(reference, 0.05, 0.999);
    }

    [Fact]
    public void IndependentRandomFeaturesGiveSmallCka()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(3);
        var value = Cka.Linear(Normal(rng, 500, 10), Normal(rng, 500, 10));
        Assert.InRange(value, 0.0, 0.2);
    }

    [Theory]
    [InlineData(40, 5, 3)]   // N large: feature-space branch
    [InlineData(6, 30, 20)]  // D large: Gram-space branch
    public void AgreesWithFloat64GramImplementation(int n, int dx, int dy)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(4 + n);
        var x = Normal(rng, n, dx);
        var y = Normal(rng, n, dy) + x.matmul(Normal(rng, dx, dy)) * 0.5f; // [N, dy], correlated with x
        double expected = BruteForce(ToDoubles(x), n, dx, ToDoubles(y), dy);
        Assert.Equal(expected, Cka.Linear(x, y), 9);
    }

    [Fact]
    public void ConstantFeaturesGiveNaN()
    {
        using var scope = NewDisposeScope();
        Assert.True(double.IsNaN(Cka.Linear(ones(10, 3), Normal(new Random(5), 10, 3))));
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        using var scope = NewDisposeScope();
        var e1 = Assert.Throws<ArgumentException>(() => Cka.Linear(ones(4, 3, 2), ones(4, 6)));
        Assert.Contains("pool or flatten", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Cka.Linear(ones(4, 3), ones(5, 3)));
        Assert.Contains("same examples", e2.Message);
        Assert.Throws<ArgumentException>(() => Cka.Linear(ones(1, 3), ones(1, 3)));
    }

    static VitConfig TinyVit => new() { ImageSize = 8, PatchSize = 2, Width = 16, Depth = 2, Heads = 2 };

    [Fact]
    public void Full_vs_masked_is_one_without_masking_and_lower_with_it()
    {
        using var encoder = Seeds.Build(0, () => new VisionTransformer(TinyVit));
        var images = rand(24, 1, 8, 8, generator: new Generator(1));
        var cka = Cka.FullVsMasked(encoder, images, [0.0, 0.9], seed: 3);   // [ratio][block]
        Assert.Equal(2, cka.Length);
        Assert.All(cka, r => Assert.Equal(2, r.Length));
        Assert.All(cka[0], v => Assert.Equal(1.0, v, 5));   // ratio 0: the same tokens in another order, mean-pooled
        Assert.All(cka[1], v => Assert.InRange(v, 0.0, 0.999));
        Assert.True(encoder.training);                        // the encoder's mode is restored
        Assert.Equal(cka, Cka.FullVsMasked(encoder, images, [0.0, 0.9], seed: 3));   // the seed fixes the masks
    }

    [Fact]
    public void Full_vs_masked_with_mask_tokens_is_one_when_nothing_is_masked()
    {
        using var cmae = Seeds.Build(0, () => new ContrastiveMae(new CMaeConfig { Encoder = TinyVit, HiddenDim = 16, Dim = 8 }));
        var images = rand(24, 1, 8, 8, generator: new Generator(1));
        var cka = Cka.FullVsMaskedWithMaskTokens(cmae, images, [0.0, 0.75], seed: 3);
        Assert.All(cka[0], v => Assert.Equal(1.0, v, 5));
        Assert.All(cka[1], v => Assert.InRange(v, 0.0, 0.999));
    }

    [Fact]
    public void Full_vs_masked_rejects_a_ratio_that_hides_every_patch()
    {
        using var encoder = new VisionTransformer(TinyVit);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Cka.FullVsMasked(encoder, rand(4, 1, 8, 8), [0.5, 1.0], seed: 0));
        Assert.Contains("[0, 1)", e.Message);
    }
}
