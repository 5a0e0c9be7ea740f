using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.Mae;

public class ForwardValidationTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 }, DecoderWidth = 8, DecoderDepth = 1, DecoderHeads = 2,
    };

    [Fact]
    public void An_empty_batch_is_refused()
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Tiny);
        var e = Assert.Throws<ArgumentException>(() => mae.Forward(zeros(0, 1, 8, 8)));
        Assert.Contains("empty", e.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Non_finite_images_are_refused(double bad)
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Tiny);
        var images = rand(2, 1, 8, 8);
        images[1, 0, 3, 3] = tensor(bad);
        var e = Assert.Throws<ArgumentException>(() => mae.Forward(images));
        Assert.Contains("NaN or ±∞", e.Message);
        Assert.True(float.IsFinite(mae.Forward(rand(2, 1, 8, 8)).Loss.item<float>()));
    }

    [Fact]
    public void MaskImages_refuses_a_mask_of_the_wrong_shape()
    {
        using var scope = NewDisposeScope();
        var images = rand(2, 1, 8, 8);
        Assert.Equal(images.shape, Patches.MaskImages(images, zeros(2, 4), 4).shape);
        foreach (var mask in new[] { zeros(2, 5), zeros(3, 4), zeros(2, 2, 2), zeros(8) })
        {
            var e = Assert.Throws<ArgumentException>(() => Patches.MaskImages(images, mask, 4));
            Assert.Contains("must be [2, 4]", e.Message);
        }
        Assert.Throws<ArgumentException>(() => Patches.MaskImages(rand(2, 1, 8, 6), zeros(2, 4), 4));
    }
}
