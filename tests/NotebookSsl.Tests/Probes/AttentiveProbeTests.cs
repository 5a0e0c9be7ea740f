using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

public class AttentiveProbeTests
{
    [Fact]
    public void Shapes_of_the_head_and_the_tokens()
    {
        using var scope = NewDisposeScope();
        using var head = Seeds.Build(0, () => new AttentiveProbe.Head(width: 8, heads: 2, classes: 3));
        var tokens = randn(5, 6, 8, generator: new Generator(1));
        Assert.Equal(new long[] { 5, 3 }, head.forward(tokens).shape);
        var (pooled, map) = head.Pool(tokens, returnMap: true);
        Assert.Equal(new long[] { 5, 8 }, pooled.shape);
        Assert.Equal(new long[] { 5, 2, 1, 6 }, map!.shape);             // one query over the 6 tokens, per head
        Assert.True(map.sum(-1).allclose(ones(5, 2, 1)));

        using var encoder = new VisionTransformer(new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 });
        Assert.Equal(new long[] { 3, 16, 16 }, AttentiveProbe.Tokens(encoder, rand(3, 1, 16, 16)).shape); // cls dropped
        Assert.Throws<ArgumentException>(() => AttentiveProbe.OnTokens(randn(4, 8), zeros(4, ScalarType.Int64), randn(4, 3, 8), zeros(4, ScalarType.Int64), 2));
    }

    /// <summary>
    /// Tokens of pure noise, except one at a random position per sample that carries the class in one of its
    /// dimensions and a marker in another: the probe has to find that token. Mean pooling dilutes it 12-fold.
    /// </summary>
    static (Tensor Tokens, Tensor Labels) Toy(int n, int seed)
    {
        var g = new Generator((ulong)seed);
        var tokens = randn(new long[] { n, 12, 8 }, generator: g);
        var labels = randint(3, new long[] { n }, generator: g);
        var where = randint(12, new long[] { n }, generator: g);
        var signal = zeros(n, 8);
        signal.scatter_(1, labels.unsqueeze(1), full(n, 1, 4.0f));
        signal[.., 7] = 6.0f;                                                       // the marker
        tokens[arange(n), where] = signal;
        return (tokens, labels);
    }

    [Fact]
    public void It_learns_to_find_the_one_informative_token()
    {
        using var scope = NewDisposeScope();
        var (train, trainLabels) = Toy(768, 1);
        var (test, testLabels) = Toy(256, 2);
        var config = AttentiveProbe.DefaultConfig with { Epochs = 15, BatchSize = 64, Lr = 1e-2, WarmupEpochs = 1 };
        var result = AttentiveProbe.OnTokens(train, trainLabels, test, testLabels, 3, heads: 2, config);
        Assert.Equal("attentive", result.Probe);
        Assert.True(result.Accuracy > 0.9, $"held-out accuracy {result.Accuracy:P1}");
        Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss);
    }
}
