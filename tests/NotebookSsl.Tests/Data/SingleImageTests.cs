using NotebookSsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class SingleImageTests
{
    [Fact]
    public void The_shipped_photo_loads()
    {
        using var scope = NewDisposeScope();
        var path = SingleImage.ShippedPhotoPath();
        var img = SingleImage.Load(path);
        Assert.Equal([1, 3, 300, 451], img.shape);
        Assert.InRange(img.min().ToSingle(), 0f, 0.2f);
        Assert.InRange(img.max().ToSingle(), 0.8f, 1f);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "LICENSES.md")));
    }

    [Fact]
    public void Random_crops_are_repeatable_and_varied()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var img = rand([3, 40, 50], generator: g);
        var a = SingleImage.RandomCrops(img, count: 12, size: 16, scale: (0.1, 0.5), seed: 7);
        var b = SingleImage.RandomCrops(img, count: 12, size: 16, scale: (0.1, 0.5), seed: 7);
        var c = SingleImage.RandomCrops(img, count: 12, size: 16, scale: (0.1, 0.5), seed: 8);
        Assert.Equal([12, 3, 16, 16], a.shape);
        Assert.True(a.Same(b));
        Assert.False(a.Same(c));
        Assert.False(a[0].Same(a[1]));
    }

    [Fact]
    public void Crop_dataset_of_the_shipped_photo()
    {
        using var ds = SingleImage.RandomCropDataset(SingleImage.ShippedPhotoPath(), count: 5, size: 32, seed: 1);
        Assert.Equal(5, ds.Count);
        Assert.Equal(32, ds.ImageSize);
        Assert.Equal(["chelsea"], ds.ClassNames);
        Assert.All(ds.LabelArray(), l => Assert.Equal(0, l));
    }
}
