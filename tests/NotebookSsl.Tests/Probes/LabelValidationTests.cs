using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

public class LabelValidationTests
{
    [Theory]
    [InlineData(3L)]
    [InlineData(7L)]
    [InlineData(-1L)]
    public void Labels_outside_the_classes_are_named_by_knn_and_the_linear_probe(long bad)
    {
        using var scope = NewDisposeScope();
        var features = randn(8, 4);
        var good = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        var wrong = good.clone();
        wrong[5] = tensor(bad);
        var knn = Assert.Throws<ArgumentException>(() => Knn.OnFeatures(features, wrong, features, good, numClasses: 3, k: 2));
        Assert.Contains($"found {bad}", knn.Message);
        Assert.Contains("[0, 2]", knn.Message);
        var linear = Assert.Throws<ArgumentException>(() => LinearProbe.OnFeatures(features, good, features, wrong, 3,
            LinearProbe.DefaultConfig with { Epochs = 1, BatchSize = 4 }));
        Assert.Equal("testLabels", linear.ParamName);
        Assert.InRange(Knn.OnFeatures(features, good, features, good, 3, k: 1).Accuracy, 1.0, 1.0);
    }

    [Fact]
    public void Labels_of_the_wrong_shape_or_type_are_refused()
    {
        using var scope = NewDisposeScope();
        var features = randn(4, 4);
        Assert.Contains("must be [4]", Assert.Throws<ArgumentException>(() => Knn.OnFeatures(features, tensor(new long[] { 0, 1, 0 }), features, tensor(new long[] { 0, 1, 0, 1 }), 2, k: 1)).Message);
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => Knn.OnFeatures(features, tensor(new float[] { 0, 1, 0, 1 }), features, tensor(new long[] { 0, 1, 0, 1 }), 2, k: 1)).Message);
    }

    [Fact]
    public void Fine_tuning_checks_labels_before_training()
    {
        using var scope = NewDisposeScope();
        using var encoder = RandomInit.Encoder(new VitConfig { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 }, 0);
        var images = rand(4, 1, 8, 8);
        var e = Assert.Throws<ArgumentException>(() => FineTuning.Run(encoder, images, tensor(new long[] { 0, 1, 2, 1 }), images, tensor(new long[] { 0, 1, 0, 1 }), 2,
            FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 2 }, onStep: _ => throw new InvalidOperationException("trained")));
        Assert.Equal("trainLabels", e.ParamName);
    }
}
