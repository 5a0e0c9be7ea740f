using NotebookSsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class AugmentTests
{
    static Tensor Batch(int n, int c, int h, int w, ulong seed = 1)
    {
        using var g = new Generator(seed);
        return rand([n, c, h, w], generator: g);
    }

    [Fact]
    public void RandomResizedCrop_boxes_lie_inside_and_respect_scale()
    {
        using var scope = NewDisposeScope();
        var x = Batch(64, 3, 24, 32);
        var (crops, boxes) = Augment.RandomResizedCrop(x, 16, seed: 3, scale: (0.2, 1.0));
        Assert.Equal([64, 3, 16, 16], crops.shape);
        Assert.Equal(64, boxes.Length);
        Assert.All(boxes, b => Assert.True(b.FitsIn(24, 32), $"{b} outside 24x32"));
        // Rounding can move the area a little outside [0.2, 1] * area; the fallback is the full image.
        Assert.All(boxes, b => Assert.InRange(b.Area, 0.15 * 24 * 32, 24 * 32));
        Assert.True(boxes.Select(b => b.Area).Distinct().Count() > 10, "boxes should vary");
        Assert.InRange(crops.min().ToSingle(), 0f, 1f);
        Assert.InRange(crops.max().ToSingle(), 0f, 1f);
    }

    [Fact]
    public void A_crop_equals_a_manual_interpolate_of_its_box()
    {
        using var scope = NewDisposeScope();
        var x = Batch(4, 3, 20, 20);
        var (crops, boxes) = Augment.RandomResizedCrop(x, 8, seed: 11);
        for (var i = 0; i < 4; i++)
        {
            var b = boxes[i];
            var patch = x[i, .., b.Top..b.Bottom, b.Left..b.Right].unsqueeze(0);      // [1, 3, h, w]
            var manual = nn.functional.interpolate(patch, [8, 8], mode: InterpolationMode.Bilinear,
                align_corners: false, antialias: b.Height > 8 || b.Width > 8).clamp(0, 1);
            Assert.True(crops[i].unsqueeze(0).allclose(manual, rtol: 1e-5, atol: 1e-6), $"sample {i}, box {b}");
        }
    }

    [Fact]
    public void Same_seed_same_augmentation_different_seed_different()
    {
        using var scope = NewDisposeScope();
        var x = Batch(8, 3, 16, 16);
        var (a, ba) = Augment.RandomResizedCrop(x, 8, seed: 5);
        var (b, bb) = Augment.RandomResizedCrop(x, 8, seed: 5);
        var (c, bc) = Augment.RandomResizedCrop(x, 8, seed: 6);
        Assert.Equal(ba, bb);
        Assert.NotEqual(ba, bc);
        Assert.True(a.Same(b));
        Assert.False(a.Same(c));

        Assert.True(Augment.ColorJitter(x, 9).Same(Augment.ColorJitter(x, 9)));
        Assert.False(Augment.ColorJitter(x, 9).Same(Augment.ColorJitter(x, 10)));
        Assert.True(Augment.GaussianBlur(x, 5, 9).Same(Augment.GaussianBlur(x, 5, 9)));
        Assert.False(Augment.GaussianBlur(x, 5, 9).Same(Augment.GaussianBlur(x, 5, 10)));
    }

    [Fact]
    public void One_generator_moves_on_between_calls()
    {
        using var scope = NewDisposeScope();
        var x = Batch(8, 1, 12, 12);
        using var g = new Generator(42);
        var (_, first) = Augment.RandomResizedCrop(x, 6, g);
        var (_, second) = Augment.RandomResizedCrop(x, 6, g);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Flip_flips_exactly_the_reported_samples()
    {
        using var scope = NewDisposeScope();
        var x = Batch(32, 3, 5, 7);
        var (y, flipped) = Augment.RandomHorizontalFlip(x, seed: 2, p: 0.5);
        Assert.Contains(true, flipped);
        Assert.Contains(false, flipped);
        for (var i = 0; i < 32; i++)
        {
            // pixel (r, c) of a flipped sample is the source's (r, W-1-c)
            var expected = flipped[i] ? x[i, 1, 3, 6 - 2].ToSingle() : x[i, 1, 3, 2].ToSingle();
            Assert.Equal(expected, y[i, 1, 3, 2].ToSingle());
        }
        Assert.True(Augment.RandomHorizontalFlip(x, seed: 2, p: 0).Images.Same(x));
        Assert.All(Augment.RandomHorizontalFlip(x, seed: 2, p: 1).Flipped, Assert.True);
    }

    [Fact]
    public void Grayscale_uses_luma_weights_and_keeps_channels()
    {
        using var scope = NewDisposeScope();
        var x = Batch(6, 3, 4, 4);
        var grey = Augment.RandomGrayscale(x, seed: 1, p: 1.0);
        Assert.Equal(x.shape, grey.shape);
        var expected = 0.2989f * x[0, 0, 1, 2].ToSingle() + 0.587f * x[0, 1, 1, 2].ToSingle() + 0.114f * x[0, 2, 1, 2].ToSingle();
        Assert.Equal(expected, grey[0, 2, 1, 2].ToSingle(), 5);
        Assert.True(grey[.., 0].Same(grey[.., 1]));
        Assert.True(Augment.RandomGrayscale(x, seed: 1, p: 0).Same(x));
    }

    [Fact]
    public void Hsv_round_trip_is_identity()
    {
        using var scope = NewDisposeScope();
        var x = Batch(4, 3, 6, 6);
        var back = Augment.HsvToRgb(Augment.RgbToHsv(x));
        Assert.True(back.allclose(x, atol: 1e-5));
        // pure red has hue 0, pure green 1/3
        var rg = tensor(new[] { 1f, 0f, 0f, 0f, 1f, 0f }).view(2, 3, 1, 1);
        var hsv = Augment.RgbToHsv(rg);
        Assert.Equal(0f, hsv[0, 0, 0, 0].ToSingle(), 5);
        Assert.Equal(1f / 3, hsv[1, 0, 0, 0].ToSingle(), 5);
        // shifting red's hue by 1/3 turns it green
        var shifted = Augment.AdjustHue(rg.narrow(0, 0, 1), tensor(new[] { 1f / 3 }).view(1, 1, 1));
        Assert.True(shifted.allclose(rg.narrow(0, 1, 1), atol: 1e-5));
    }

    [Fact]
    public void ColorJitter_brightness_scales_each_sample_by_one_factor()
    {
        using var scope = NewDisposeScope();
        var x = Batch(8, 3, 6, 6) * 0.5f; // stays below 1 after scaling by at most 1.5
        var y = Augment.ColorJitter(x, 3, brightness: 0.5, contrast: 0, saturation: 0, hue: 0, p: 1.0);
        var ratio = y / x;                                                        // [N, 3, 6, 6]
        var perSample = ratio.flatten(1);
        Assert.True((perSample.amax([1]) - perSample.amin([1])).max().ToSingle() < 1e-4f);
        var factors = perSample[.., 0].data<float>().ToArray();
        Assert.All(factors, f => Assert.InRange(f, 0.5f - 1e-5f, 1.5f + 1e-5f));
        Assert.True(factors.Distinct().Count() > 4, "factors should be drawn per sample");
        Assert.True(Augment.ColorJitter(x, 3, p: 0).Same(x));
    }

    [Fact]
    public void ColorJitter_on_grey_images_changes_only_brightness_and_contrast()
    {
        using var scope = NewDisposeScope();
        var x = Batch(4, 1, 6, 6);
        var satHueOnly = Augment.ColorJitter(x, 1, brightness: 0, contrast: 0, saturation: 0.9, hue: 0.4, p: 1);
        Assert.True(satHueOnly.Same(x));
        var contrast = Augment.ColorJitter(x, 1, brightness: 0, contrast: 0.9, saturation: 0, hue: 0, p: 1);
        Assert.False(contrast.Same(x));
        Assert.Equal([4, 1, 6, 6], contrast.shape);
    }

    [Fact]
    public void GaussianBlur_keeps_constants_and_smooths_noise()
    {
        using var scope = NewDisposeScope();
        var flat = full([2, 3, 9, 9], 0.3f);
        Assert.True(Augment.GaussianBlur(flat, 5, 1, sigma: (1.0, 2.0)).allclose(flat, atol: 1e-6));
        var noise = Batch(2, 3, 16, 16);
        var blurred = Augment.GaussianBlur(noise, 5, 1, sigma: (1.5, 2.0));
        Assert.Equal(noise.shape, blurred.shape);
        Assert.True(blurred.std().ToSingle() < 0.6f * noise.std().ToSingle());
        Assert.True(Augment.GaussianBlur(noise, 5, 1, p: 0).Same(noise));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augment.GaussianBlur(noise, 4, 1));
        Assert.Throws<ArgumentException>(() => Augment.GaussianBlur(noise, 33, 1));
    }

    [Fact]
    public void CropBox_intersection()
    {
        var a = new CropBox(0, 0, 10, 10);
        var b = new CropBox(5, 6, 10, 10);
        Assert.Equal(new CropBox(5, 6, 5, 4), a.Intersect(b));
        Assert.Null(a.Intersect(new CropBox(10, 0, 3, 3)));
    }
}
