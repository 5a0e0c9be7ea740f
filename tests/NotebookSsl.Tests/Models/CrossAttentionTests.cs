using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Models;

public class CrossAttentionTests
{
    [Fact]
    public void The_fused_kernel_and_the_explicit_map_agree_and_each_query_reads_only_the_keys()
    {
        using var scope = NewDisposeScope();
        using var attention = Seeds.Build(0, () => new CrossAttention(width: 8, heads: 2));
        var g = new Generator(1);
        var queries = randn(2, 3, 8, generator: g);
        var keys = randn(2, 5, 8, generator: g);
        var (fused, noMap) = attention.Forward(queries, keys, keys, returnMap: false);
        var (explicitOutput, map) = attention.Forward(queries, keys, keys, returnMap: true);
        Assert.Null(noMap);
        Assert.Equal(new long[] { 2, 3, 8 }, fused.shape);
        Assert.Equal(new long[] { 2, 2, 3, 5 }, map!.shape);                     // [N, heads, queries, keys]
        Assert.True(fused.allclose(explicitOutput, rtol: 1e-4, atol: 1e-5));
        Assert.True(map.sum(-1).allclose(ones(2, 2, 3)));

        // a query's output depends on that query and the keys, not on the other queries
        var other = queries.clone();
        other[.., 1..] = randn(2, 2, 8, generator: g);
        var (changed, _) = attention.Forward(other, keys, keys, returnMap: true);
        Assert.True(changed[.., 0].allclose(explicitOutput[.., 0], rtol: 1e-5, atol: 1e-6));

        // a key bias would cancel in the softmax: there is none
        Assert.DoesNotContain("k.bias", attention.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => attention.Forward(queries, randn(2, 5, 4), randn(2, 5, 4), false));
        Assert.Throws<ArgumentException>(() => attention.Forward(randn(3, 8), keys, keys, false));
        Assert.Throws<ArgumentException>(() => attention.Forward(randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4), false));
    }
}
