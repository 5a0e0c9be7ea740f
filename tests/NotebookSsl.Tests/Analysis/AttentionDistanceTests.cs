using NotebookSsl.Analysis;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;

namespace NotebookSsl.Tests.Analysis;

public class AttentionDistanceTests
{
    [Fact]
    public void IdentityAttentionHasZeroDistance()
    {
        using var scope = NewDisposeScope();
        const int g = 4;
        var attention = eye(1 + g * g).expand(2, 3, 1 + g * g, 1 + g * g); // [B, H, 1+L, 1+L]
        var d = AttentionDistance.PerHead(attention, g, patchSize: 8);
        Assert.Equal(3, d.Length);
        Assert.All(d, v => Assert.Equal(0.0, v, 12));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UniformAttentionGivesMeanPairwiseDistance(bool renormalize)
    {
        using var scope = NewDisposeScope();
        const int g = 5, p = 4, L = g * g;
        var attention = full(new long[] { 2, 2, 1 + L, 1 + L }, 1.0f / (1 + L)); // uniform over cls + patches

        double sum = 0;
        for (int i = 0; i < L; i++)
            for (int j = 0; j < L; j++)
                sum += CellDistance(i, j, g, p);
        double meanPairwise = sum / (L * L);
        // Without renormalisation the cls key keeps 1/(L+1) of the mass at distance 0.
        double expected = renormalize ? meanPairwise : meanPairwise * L / (L + 1.0);

        var d = AttentionDistance.PerHead(attention, g, p, hasCls: true, renormalize: renormalize);
        Assert.All(d, v => Assert.Equal(expected, v, 5));
    }

    [Fact]
    public void AttentionToHorizontalNeighbourIsExactlyOnePatch()
    {
        using var scope = NewDisposeScope();
        const int g = 4, p = 16, L = g * g;
        var w = zeros(L, L); // [L, L]
        for (int t = 0; t < L; t++)
            w[t, t % g < g - 1 ? t + 1 : t - 1] = 1; // right neighbour; the last column looks left
        var attention = w.expand(3, 2, L, L); // [B, H, L, L]
        var d = AttentionDistance.PerHead(attention, g, p, hasCls: false);
        Assert.All(d, v => Assert.Equal(p, v, 5));
    }

    [Fact]
    public void SubsetOfVisibleTokensUsesTheirGridPositions()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        const int g = 6, p = 3, B = 3, H = 2, kept = 9;
        var idsData = new long[B, kept];
        for (int b = 0; b < B; b++)
        {
            var perm = Enumerable.Range(0, g * g).OrderBy(_ => rng.Next()).Take(kept).ToArray();
            for (int t = 0; t < kept; t++) idsData[b, t] = perm[t];
        }
        var ids = tensor(idsData); // [B, kept]
        var attention = RandomAttention(rng, B, H, 1 + kept, 1 + kept); // [B, H, 1+kept, 1+kept]
        var a = ToDoubles(attention);

        var expected = new double[H];
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
                for (int q = 0; q < kept; q++)
                {
                    double mass = 0, weighted = 0;
                    for (int k = 0; k < kept; k++)
                    {
                        double wqk = a[((b * H + h) * (1 + kept) + 1 + q) * (1 + kept) + 1 + k];
                        mass += wqk;
                        weighted += wqk * CellDistance(idsData[b, q], idsData[b, k], g, p);
                    }
                    expected[h] += weighted / mass / (B * kept);
                }

        var d = AttentionDistance.PerHead(attention, g, p, hasCls: true, ids: ids);
        for (int h = 0; h < H; h++) Assert.Equal(expected[h], d[h], 4);
    }

    [Fact]
    public void PerLayerStacksHeadsOfEveryLayer()
    {
        using var scope = NewDisposeScope();
        const int g = 3, L = g * g;
        var near = eye(L).expand(1, 2, L, L);                       // distance 0
        var far = full(new long[] { 1, 2, L, L }, 1.0f / L);        // mean pairwise distance
        var result = AttentionDistance.PerLayer([near, far], g, 10, hasCls: false);
        Assert.Equal(2, result.GetLength(0));
        Assert.Equal(2, result.GetLength(1));
        Assert.Equal(0.0, result[0, 1], 9);
        Assert.True(result[1, 0] > 5, $"uniform attention on a 3x3 grid of 10 px patches should be > 5 px, got {result[1, 0]}");
    }

    [Fact]
    public void DistanceMatrixMatchesLoops()
    {
        using var scope = NewDisposeScope();
        const int g = 4, p = 7;
        var m = ToDoubles(AttentionDistance.DistanceMatrix(g, p));
        for (int i = 0; i < g * g; i++)
            for (int j = 0; j < g * g; j++)
                Assert.Equal(CellDistance(i, j, g, p), m[i * g * g + j], 9);
    }

    [Fact]
    public void BadShapesAreRejectedWithClearMessages()
    {
        using var scope = NewDisposeScope();
        var e1 = Assert.Throws<ArgumentException>(() => AttentionDistance.PerHead(ones(2, 5, 5), 2, 16));
        Assert.Contains("[B, H, Q, K]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => AttentionDistance.PerHead(ones(1, 1, 5, 4), 2, 16));
        Assert.Contains("Q == K", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => AttentionDistance.PerHead(ones(1, 1, 10, 10), 4, 16));
        Assert.Contains("pass ids", e3.Message);
        var ids = tensor(new long[,] { { 0, 1, 2, 16 } });
        var e4 = Assert.Throws<ArgumentException>(() => AttentionDistance.PerHead(ones(1, 1, 5, 5), 4, 16, ids: ids));
        Assert.Contains("[0, 16)", e4.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => AttentionDistance.PerHead(ones(1, 1, 5, 5), 2, 0));
    }
}
