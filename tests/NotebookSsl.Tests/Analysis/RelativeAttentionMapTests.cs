using NotebookSsl.Analysis;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;

namespace NotebookSsl.Tests.Analysis;

public class RelativeAttentionMapTests
{
    const int G = 4, L = G * G;

    static double Sum(double[,] m) => m.Cast<double>().Sum();

    [Fact]
    public void AttentionToSelfPutsAllMassAtTheCentre()
    {
        using var scope = NewDisposeScope();
        var attention = eye(1 + L).expand(2, 3, 1 + L, 1 + L); // [B, H, 1+L, 1+L]
        var map = RelativeAttentionMap.Compute(attention, [0, 5, 10, 15], G);
        Assert.Equal(2 * G - 1, map.GetLength(0));
        Assert.Equal(1.0, map[G - 1, G - 1], 12);
        Assert.Equal(1.0, Sum(map), 12);
    }

    [Fact]
    public void AttentionToRightNeighbourPutsMassRightOfCentre()
    {
        using var scope = NewDisposeScope();
        var w = zeros(1 + L, 1 + L);
        for (int t = 0; t < L; t++) w[1 + t, 1 + (t % G < G - 1 ? t + 1 : t)] = 1; // [1+L, 1+L]
        var attention = w.expand(2, 2, 1 + L, 1 + L);
        long[] queries = [0, 1, 6, 13]; // none in the last column
        var map = RelativeAttentionMap.Compute(attention, queries, G);
        Assert.Equal(1.0, map[G - 1, G], 12);
        Assert.Equal(1.0, Sum(map), 12);

        var (window1, inside1) = RelativeAttentionMap.CentreWindow(map, 1);
        Assert.Equal(0.0, window1[0, 0]);
        Assert.Equal(0.0, inside1, 12);
        var (window3, inside3) = RelativeAttentionMap.CentreWindow(map, 3);
        Assert.Equal(1.0, window3[1, 2], 12);
        Assert.Equal(1.0, inside3, 12);
    }

    [Fact]
    public void RandomPerImageQueriesMatchLoopsAndSumToOne()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(4);
        const int B = 3, H = 2, k = 5, side = 2 * G - 1;
        var attention = RandomAttention(rng, B, H, 1 + L, 1 + L); // [B, H, 1+L, 1+L]
        var a = ToDoubles(attention);
        var ids = new long[B, k];
        for (int b = 0; b < B; b++)
        {
            var perm = Enumerable.Range(0, L).OrderBy(_ => rng.Next()).Take(k).ToArray();
            for (int t = 0; t < k; t++) ids[b, t] = perm[t];
        }

        var expected = new double[side, side];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < k; t++)
            {
                long q = ids[b, t];
                var mean = new double[L];
                for (int h = 0; h < H; h++)
                    for (int key = 0; key < L; key++)
                        mean[key] += a[((b * H + h) * (1 + L) + 1 + q) * (1 + L) + 1 + key] / H;
                double mass = mean.Sum();
                for (int key = 0; key < L; key++)
                    expected[key / G - q / G + G - 1, key % G - q % G + G - 1] += mean[key] / mass / (B * k);
            }

        var measure = new RelativeAttentionMap(G);
        measure.Add(attention, tensor(ids));
        var map = measure.Mean;
        Assert.Equal(B * k, measure.Count);
        for (int r = 0; r < side; r++)
            for (int c = 0; c < side; c++)
                Assert.Equal(expected[r, c], map[r, c], 9);
        Assert.Equal(1.0, Sum(map), 9);
        var (_, inside) = RelativeAttentionMap.CentreWindow(map, 5);
        Assert.InRange(inside, 0.0, 1.0);
        Assert.Equal(1.0, RelativeAttentionMap.CentreWindow(map, side).Fraction, 9);
    }

    [Fact]
    public void WithoutRenormalisingTheClsShareIsMissing()
    {
        using var scope = NewDisposeScope();
        var attention = RandomAttention(new Random(9), 2, 2, 1 + L, 1 + L);
        var map = RelativeAttentionMap.Compute(attention, [2, 7], G, renormalize: false);
        var clsShare = attention.index_select(2, tensor(new long[] { 3, 8 })).select(3, 0).mean().item<float>();
        Assert.Equal(1.0 - clsShare, Sum(map), 5);
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        using var scope = NewDisposeScope();
        var attention = RandomAttention(new Random(1), 1, 1, 1 + L, 1 + L);
        var e1 = Assert.Throws<ArgumentException>(() => RelativeAttentionMap.Compute(attention, [0], G + 1));
        Assert.Contains("5x5 grid", e1.Message);
        Assert.Throws<ArgumentException>(() => RelativeAttentionMap.Compute(attention, [L], G));
        Assert.Throws<ArgumentOutOfRangeException>(() => RelativeAttentionMap.CentreWindow(new double[7, 7], 4));
        Assert.Throws<ArgumentException>(() => RelativeAttentionMap.CentreWindow(new double[6, 6], 3));
        Assert.Throws<InvalidOperationException>(() => new RelativeAttentionMap(G).Mean);
    }
}
