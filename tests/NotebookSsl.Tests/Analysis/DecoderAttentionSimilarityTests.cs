using NotebookSsl.Analysis;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;
using Mode = NotebookSsl.Analysis.DecoderAttentionSimilarity.SimilarityMode;

namespace NotebookSsl.Tests.Analysis;

public class DecoderAttentionSimilarityTests
{
    static readonly long[] MaskIds = [0, 3, 5, 6, 8];

    [Theory]
    [InlineData(Mode.WholeMap)]
    [InlineData(Mode.PerToken)]
    public void IdenticalMapsAcrossImagesGiveOne(Mode mode)
    {
        using var scope = NewDisposeScope();
        var one = RandomAttention(new Random(1), 1, 2, 10, 10);     // [1, H, 1+9, 1+9]
        var attention = one.expand(4, 2, 10, 10);                   // same maps for 4 images
        Assert.Equal(1.0, DecoderAttentionSimilarity.Compute(attention, MaskIds, mode: mode), 9);
    }

    [Theory]
    [InlineData(Mode.WholeMap)]
    [InlineData(Mode.PerToken)]
    public void OneHotMapsOnDifferentKeysGiveZero(Mode mode)
    {
        using var scope = NewDisposeScope();
        const int B = 4, L = 9;
        var attention = zeros(B, 2, 1 + L, 1 + L); // [B, H, 1+L, 1+L]
        for (int b = 0; b < B; b++)
            attention[b, .., .., 1 + 2 * b] = 1;   // every query of image b attends to patch 2b only
        Assert.Equal(0.0, DecoderAttentionSimilarity.Compute(attention, MaskIds, mode: mode), 12);
    }

    [Theory]
    [InlineData(Mode.WholeMap, false)]
    [InlineData(Mode.PerToken, false)]
    [InlineData(Mode.WholeMap, true)]
    public void RandomMapsMatchPairwiseLoops(Mode mode, bool includeClsKey)
    {
        using var scope = NewDisposeScope();
        const int B = 5, H = 3, L = 9;
        var attention = RandomAttention(new Random(7), B, H, 1 + L, 1 + L); // [B, H, 1+L, 1+L]
        var a = ToDoubles(attention);
        int firstKey = includeClsKey ? 0 : 1, n = 1 + L - firstKey;

        // vector(b, token group) as in the paper: A_i in R^{k x h x n}, flattened (or one k-slice per token).
        double[] Vector(int b, int[] tokens)
        {
            var v = new List<double>();
            foreach (var t in tokens)
                for (int h = 0; h < H; h++)
                    for (int k = 0; k < n; k++)
                        v.Add(a[((b * H + h) * (1 + L) + 1 + MaskIds[t]) * (1 + L) + firstKey + k]);
            return v.ToArray();
        }
        static double Cos(double[] x, double[] y)
        {
            double xy = 0, xx = 0, yy = 0;
            for (int i = 0; i < x.Length; i++) { xy += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
            return xy / Math.Sqrt(xx * yy);
        }
        var groups = mode == Mode.WholeMap
            ? [Enumerable.Range(0, MaskIds.Length).ToArray()]
            : Enumerable.Range(0, MaskIds.Length).Select(t => new[] { t }).ToArray();
        double expected = 0;
        foreach (var group in groups)
        {
            double s = 0; int pairs = 0;
            for (int i = 0; i < B; i++)
                for (int j = i + 1; j < B; j++) { s += Cos(Vector(i, group), Vector(j, group)); pairs++; }
            expected += s / pairs / groups.Length;
        }

        var actual = DecoderAttentionSimilarity.Compute(attention, MaskIds, mode: mode, includeClsKey: includeClsKey);
        Assert.Equal(expected, actual, 9);
        Assert.InRange(actual, 0.0, 1.0);
        Assert.True(actual < 0.999, "random maps should not look identical");
    }

    [Fact]
    public void AccumulatingBatchesEqualsOneBatch()
    {
        using var scope = NewDisposeScope();
        var attention = RandomAttention(new Random(3), 6, 2, 10, 10); // [6, H, 10, 10]
        var whole = DecoderAttentionSimilarity.Compute(attention, MaskIds);
        var measure = new DecoderAttentionSimilarity(MaskIds);
        measure.Add(attention.narrow(0, 0, 1));
        measure.Add(attention.narrow(0, 1, 5));
        Assert.Equal(6, measure.Count);
        Assert.Equal(whole, measure.Value, 10);
    }

    [Fact]
    public void PerLayerGivesOneValuePerLayer()
    {
        using var scope = NewDisposeScope();
        var same = RandomAttention(new Random(5), 1, 2, 10, 10).expand(3, 2, 10, 10);
        var different = RandomAttention(new Random(6), 3, 2, 10, 10);
        var s = DecoderAttentionSimilarity.PerLayer([same, different], MaskIds);
        Assert.Equal(2, s.Length);
        Assert.Equal(1.0, s[0], 9);
        Assert.True(s[1] < s[0]);
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        using var scope = NewDisposeScope();
        var attention = RandomAttention(new Random(2), 3, 2, 10, 10);
        var e1 = Assert.Throws<ArgumentException>(() => DecoderAttentionSimilarity.Compute(attention, [0, 9]));
        Assert.Contains("mask token index 9", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => DecoderAttentionSimilarity.Compute(attention.narrow(0, 0, 1), MaskIds));
        Assert.Contains("at least 2 images", e2.Message);
        Assert.Throws<ArgumentException>(() => new DecoderAttentionSimilarity([1, 1]));
        var measure = new DecoderAttentionSimilarity(MaskIds);
        measure.Add(attention);
        var e3 = Assert.Throws<ArgumentException>(() => measure.Add(RandomAttention(new Random(2), 3, 4, 10, 10)));
        Assert.Contains("earlier batches", e3.Message);
    }
}
