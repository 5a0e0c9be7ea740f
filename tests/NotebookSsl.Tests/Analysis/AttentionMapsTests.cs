using NotebookSsl.Analysis;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;

namespace NotebookSsl.Tests.Analysis;

public class AttentionMapsTests
{
    [Fact]
    public void HeadAverageAveragesTheHeadAxis()
    {
        using var scope = NewDisposeScope();
        var a = RandomAttention(new Random(1), 2, 3, 4, 4);
        var avg = AttentionMaps.HeadAverage(a);
        Assert.Equal(new long[] { 2, 4, 4 }, avg.shape);
        var x = ToDoubles(a); var m = ToDoubles(avg);
        double expected = (x[(1 * 3 + 0) * 16 + 2 * 4 + 1] + x[(1 * 3 + 1) * 16 + 2 * 4 + 1] + x[(1 * 3 + 2) * 16 + 2 * 4 + 1]) / 3;
        Assert.Equal(expected, m[1 * 16 + 2 * 4 + 1], 6);
    }

    [Fact]
    public void SelectQueriesSkipsTheClsRow()
    {
        using var scope = NewDisposeScope();
        var a = RandomAttention(new Random(2), 1, 2, 5, 5);
        var rows = AttentionMaps.SelectQueries(a, [2, 0]);
        Assert.Equal(new long[] { 1, 2, 2, 5 }, rows.shape);
        Assert.True(rows[0, .., 0].allclose(a[0, .., 3], 0, 0));
        Assert.True(rows[0, .., 1].allclose(a[0, .., 1], 0, 0));
        Assert.Throws<ArgumentException>(() => AttentionMaps.SelectQueries(a, [4]));
    }

    [Fact]
    public void PatchKeysDropsClsAndRenormalises()
    {
        using var scope = NewDisposeScope();
        var a = RandomAttention(new Random(3), 2, 2, 5, 5);
        var keys = AttentionMaps.PatchKeys(a);
        Assert.Equal(new long[] { 2, 2, 5, 4 }, keys.shape);
        Assert.True(keys.sum(-1).allclose(ones(2, 2, 5), 1e-5, 1e-6));
        var raw = AttentionMaps.PatchKeys(a, renormalize: false);
        Assert.True(raw.allclose(a.narrow(3, 1, 4), 0, 0));
        var onlyCls = zeros(1, 1, 2, 3); onlyCls[.., .., .., 0] = 1;
        Assert.Equal(0.0, AttentionMaps.PatchKeys(onlyCls).abs().sum().item<float>());
    }
}
