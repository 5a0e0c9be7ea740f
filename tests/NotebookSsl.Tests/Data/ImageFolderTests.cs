using NotebookSsl.Data;
using TorchSharp;

namespace NotebookSsl.Tests.Data;

public class ImageFolderTests
{
    [Fact]
    public void Subfolders_are_classes_and_images_are_resized()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["red"]);
        Directory.CreateDirectory(dir["blue"]);
        TestFiles.WriteBmp(Path.Combine(dir["red"], "a.bmp"), 10, 6, (_, _) => (255, 0, 0));
        TestFiles.WriteBmp(Path.Combine(dir["red"], "b.BMP"), 3, 3, (_, _) => (200, 0, 0));
        TestFiles.WriteBmp(Path.Combine(dir["blue"], "x.bmp"), 20, 20, (y, _) => (0, 0, (byte)(y < 10 ? 0 : 255)));
        File.WriteAllText(Path.Combine(dir["blue"], "notes.txt"), "not an image");

        using var ds = ImageFolder.Load(dir.Path, size: 8, channels: 3);
        Assert.Equal(new[] { "blue", "red" }, ds.ClassNames);
        Assert.Equal([3, 3, 8, 8], ds.Images.shape);
        Assert.Equal(new long[] { 0, 1, 1 }, ds.LabelArray());
        // the solid red images stay solid red after resizing
        Assert.Equal(1f, ds.Images[1, 0].min().ToSingle(), 5);
        Assert.Equal(0f, ds.Images[1, 2].max().ToSingle(), 5);
        Assert.Equal(200f / 255, ds.Images[2, 0, 4, 4].ToSingle(), 4);
        // the blue image is dark on top, bright at the bottom
        Assert.Equal(0f, ds.Images[0, 2, 0, 3].ToSingle(), 4);
        Assert.Equal(1f, ds.Images[0, 2, 7, 3].ToSingle(), 4);

        using var grey = ImageFolder.Load(dir.Path, size: 5, channels: 1);
        Assert.Equal([3, 1, 5, 5], grey.Images.shape);
        Assert.InRange(grey.Images[1, 0, 2, 2].ToSingle(), 0.2f, 0.4f); // luma of pure red ~ 0.3
    }

    [Fact]
    public void Undecodable_image_is_named()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["cls"]);
        var bad = Path.Combine(dir["cls"], "broken.png");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path, 8));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Empty_folders_are_rejected()
    {
        using var dir = new TempDir();
        Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path, 8));
        Directory.CreateDirectory(dir["empty-class"]);
        Assert.Throws<InvalidDataException>(() => ImageFolder.Load(dir.Path, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFolder.Load(dir.Path, 8, channels: 2));
    }
}
