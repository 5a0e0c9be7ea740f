using NotebookSsl.Analysis;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Analysis;

public class FeatureSpreadTests
{
    [Fact]
    public void IndependentFeaturesSpreadFullyAndACommonVectorDoesNot()
    {
        var g = new Generator(1);
        var independent = randn(2000, 16, generator: g);                                // no common vector
        Assert.InRange(FeatureSpread.OfFeatures(independent), 0.9, 1.0);
        var common = randn(1, 16, generator: g) * 10 + 0.1 * randn(2000, 16, generator: g);   // one vector plus small noise
        double spread = FeatureSpread.OfFeatures(common);
        Assert.InRange(spread, 0, 0.01);
        // per-image scaling does not change it (the LayerNorm removes it), as fc_norm would
        var scales = rand(2000, 1, generator: g) * 5 + 0.5;
        Assert.Equal(spread, FeatureSpread.OfFeatures(common * scales), 4);
    }

    [Fact]
    public void OneDistinctImageAmongCopiesIsCountedExactly()
    {
        // two images: the spread of two LayerNormed rows a, b is ‖a − b‖² / (2 (‖a‖² + ‖b‖²)) = (1 − cos) / 2
        var a = tensor(new float[] { 1, 2, 3, 4 });
        var b = tensor(new float[] { 4, 3, 2, 1 });
        var features = stack(new[] { a, b });
        var na = nn.functional.layer_norm(a.unsqueeze(0), new long[] { 4 })[0];
        var nb = nn.functional.layer_norm(b.unsqueeze(0), new long[] { 4 })[0];
        double cos = (na * nb).sum().item<float>() / Math.Sqrt((na * na).sum().item<float>() * (nb * nb).sum().item<float>());
        Assert.Equal((1 - cos) / 2, FeatureSpread.OfFeatures(features), 4);
        Assert.Throws<ArgumentException>(() => FeatureSpread.OfFeatures(a.unsqueeze(0)));
    }

    [Fact]
    public void AnEncoderIsMeasuredOnItsPooledPatchTokensAndLeftInItsMode()
    {
        using var encoder = Seeds.Build(0, () => new VisionTransformer(new VitConfig { ImageSize = 8, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 }));
        encoder.train();
        var images = rand(6, 1, 8, 8, generator: new Generator(2));
        double spread = FeatureSpread.OfEncoder(encoder, images);
        Assert.InRange(spread, 1e-6, 1.0);
        Assert.True(encoder.training);
        // the same images six times over: nothing differs between them
        Assert.Equal(0, FeatureSpread.OfEncoder(encoder, images[..1].expand(6, -1, -1, -1).contiguous()), 6);
        Assert.Throws<ArgumentException>(() => FeatureSpread.OfEncoder(encoder, rand(6, 1, 9, 9)));
    }
}
