using NotebookSsl.Data;
using NotebookSsl.Probes;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

/// <summary>Bad input to the library names the input and the fix, instead of failing somewhere inside.</summary>
public class ErrorMessageTests
{
    [Theory]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Float32)]
    public void Labels_of_another_dtype_are_named_with_the_conversion_to_make(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var features = randn(4, 4);
        var labels = tensor(new long[] { 0, 1, 0, 1 });
        var e = Assert.Throws<ArgumentException>(() => Knn.OnFeatures(features, labels.to_type(dtype), features, labels, 2, k: 1));
        Assert.Equal("trainLabels", e.ParamName);
        Assert.Contains($"got {dtype}: pass trainLabels.to_type(ScalarType.Int64)", e.Message);
    }

    [Fact]
    public void Knn_on_an_empty_training_set_says_it_is_empty()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => Knn.OnFeatures(zeros(0, 4), zeros(0, ScalarType.Int64), randn(2, 4), tensor(new long[] { 0, 1 }), 2, k: 20));
        Assert.StartsWith("The k-NN training set is empty (0 features)", e.Message);
        Assert.DoesNotContain("[1, 0]", e.Message);
    }

    [Theory]
    [InlineData(nameof(TrainConfig.WeightDecay), double.NaN)]
    [InlineData(nameof(TrainConfig.WeightDecay), -0.1)]
    [InlineData(nameof(TrainConfig.Beta1), double.NaN)]
    [InlineData(nameof(TrainConfig.Beta2), 1.0)]
    [InlineData(nameof(TrainConfig.MinLr), double.NaN)]
    [InlineData(nameof(TrainConfig.WarmupEpochs), double.NaN)]
    public void A_bad_optimiser_setting_is_blamed_on_itself_not_on_the_learning_rate(string name, double value)
    {
        var config = name switch
        {
            nameof(TrainConfig.WeightDecay) => new TrainConfig { WeightDecay = value },
            nameof(TrainConfig.Beta1) => new TrainConfig { Beta1 = value },
            nameof(TrainConfig.Beta2) => new TrainConfig { Beta2 = value },
            nameof(TrainConfig.MinLr) => new TrainConfig { MinLr = value },
            _ => new TrainConfig { WarmupEpochs = value },
        };
        var e = Assert.Throws<ArgumentException>(() => config.Validate());
        Assert.StartsWith(name, e.Message);
        Assert.Contains(value.ToString(), e.Message);
    }

    [Fact]
    public void A_corrupt_png_is_named_without_trailing_nul_characters()
    {
        using var dir = new TempDir();
        var path = dir["broken.png"];
        // a PNG cut right after its header chunk (a 1×1 grey image): the decoder's reason is then the next chunk's
        // type, never read, as NUL characters
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
            0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55]);
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoding.Load(path));
        Assert.Equal($"{path}: cannot decode image (the decoder gave no reason: the file is probably cut short); the file is damaged or not an image: replace or remove it.", e.Message);
        Assert.Contains('\0', e.InnerException!.Message);   // the decoder's own reason ends in NULs: this input exercises the cut
        Assert.DoesNotContain('\0', e.Message);
        Assert.EndsWith("replace or remove it.", e.Message);
    }
}
