using NotebookSsl.Data;
using NotebookSsl.Probes;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

public class RawPixelsTests
{
    [Fact]
    public void Standardises_with_the_training_statistics_and_only_centres_constant_pixels()
    {
        using var scope = NewDisposeScope();
        // 2 training images of 1x1x3 pixels: pixel 0 is {0, 2}, pixel 1 is {1, 3}, pixel 2 is always 5
        var train = tensor(new float[] { 0, 1, 5, 2, 3, 5 }).reshape(2, 1, 1, 3);
        var test = tensor(new float[] { 4, 1, 6 }).reshape(1, 1, 1, 3);
        var (s, t) = RawPixels.Standardised(train, test);

        // mean (1, 2, 5), population std (1, 1, 0): train → ±1, the constant pixel → 0
        Assert.Equal(new float[] { -1, -1, 0, 1, 1, 0 }, s.data<float>().ToArray());
        // the test image uses the training statistics: (4-1)/1, (1-2)/1, 6-5 (centred only)
        Assert.Equal(new float[] { 3, -1, 1 }, t.data<float>().ToArray());
        Assert.Equal(new long[] { 1, 3 }, t.shape);
    }

    [Fact]
    public void Images_of_another_shape_are_refused()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => RawPixels.Standardised(zeros(4, 1, 8, 8), zeros(4, 1, 8, 7)));
        Assert.Contains("[4, 1, 8, 7]", e.Message);
        Assert.Throws<ArgumentException>(() => RawPixels.Flatten(zeros(4, 64)));
    }

    /// <summary>Two classes told apart by which half of an 8×8 image is bright, plus noise.</summary>
    static (Tensor Images, Tensor Labels) Halves(int n, int seed)
    {
        var gen = new Generator((ulong)seed);
        var labels = randint(0, 2, n, generator: gen).to(ScalarType.Int64);                 // [N]
        var left = cat(new[] { ones(4), zeros(4) }).reshape(1, 1, 1, 8).expand(n, 1, 8, 8); // [N, 1, 8, 8]
        var cls = labels.to(ScalarType.Float32).reshape(n, 1, 1, 1);
        var images = cls * left + (1 - cls) * left.flip(3) + 0.3f * randn(n, 1, 8, 8, generator: gen);
        return (images, labels);
    }

    [Fact]
    public void Standardised_pixels_of_an_easy_task_are_linearly_separable()
    {
        using var scope = NewDisposeScope();
        var (train, trainLabels) = Halves(256, 1);
        var (test, testLabels) = Halves(128, 2);
        var (s, t) = RawPixels.Standardised(train, test);
        Assert.True(LinearProbe.Converged(s, trainLabels, t, testLabels, 2, 200).Accuracy > 0.95);
        Assert.True(Knn.OnFeatures(s, trainLabels, t, testLabels, 2, k: 5).Accuracy > 0.95);
    }

    [SystemFashionMnistFact]
    public void On_Fashion_MNIST_the_pixels_are_a_strong_baseline()
    {
        using var scope = NewDisposeScope();
        using var trainSet = FashionMnist.Load(DatasetSplit.Train);
        using var testSet = FashionMnist.Load(DatasetSplit.Test);
        using var train = trainSet.Take(2048);
        using var test = testSet.Take(500);
        var (s, t) = RawPixels.Standardised(train.Images, test.Images);
        var knn = Knn.OnFeatures(s, train.Labels, t, test.Labels, 10);
        // the baseline a pretrained encoder must beat: far above chance (10 %), as the literature's ~80 %+
        Assert.InRange(knn.Accuracy, 0.72, 0.95);
    }
}
