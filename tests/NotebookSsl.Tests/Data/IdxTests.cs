using NotebookSsl.Data;
using TorchSharp;

namespace NotebookSsl.Tests.Data;

public class IdxTests
{
    [Theory]
    [InlineData("images-idx3-ubyte")]
    [InlineData("images-idx3-ubyte.gz")]
    public void Images_and_labels_round_trip(string imagesName)
    {
        using var dir = new TempDir();
        const int n = 5, rows = 4, cols = 3;
        var pixels = TestFiles.RandomBytes(n * rows * cols, seed: 1);
        var labels = new byte[] { 3, 0, 9, 1, 3 };
        var imagesPath = dir[imagesName];
        var labelsPath = dir[imagesName.Replace("images-idx3", "labels-idx1")];
        Idx.Write(imagesPath, [n, rows, cols], pixels);
        Idx.Write(labelsPath, [n], labels);

        if (imagesName.EndsWith(".gz"))
            Assert.Equal(new byte[] { 0x1f, 0x8b }, File.ReadAllBytes(imagesPath)[..2]);
        else
            Assert.Equal(new byte[] { 0, 0, 8, 3, 0, 0, 0, n }, File.ReadAllBytes(imagesPath)[..8]);

        var back = Idx.ReadImages(imagesPath);
        Assert.Equal(new[] { n, rows, cols }, back.Dims);
        Assert.Equal(pixels, back.Data);

        using var ds = Idx.LoadDataset(imagesPath, labelsPath, FashionMnist.ClassNames, "tiny");
        Assert.Equal([n, 1, rows, cols], ds.Images.shape);
        Assert.Equal(labels.Select(l => (long)l).ToArray(), ds.LabelArray());
        var expected = pixels[1 * rows * cols + 2 * cols + 1] / 255f; // image 1, row 2, col 1
        Assert.Equal(expected, ds.Images[1, 0, 2, 1].ToSingle(), 6);
    }

    [Fact]
    public void Bad_magic_names_the_file()
    {
        using var dir = new TempDir();
        var path = dir["bad-magic"];
        File.WriteAllBytes(path, [0x12, 0x34, 0x08, 0x03, 0, 0, 0, 0]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Labels_file_read_as_images_is_a_magic_error()
    {
        using var dir = new TempDir();
        var path = dir["labels"];
        Idx.Write(path, [3], [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x00000803", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_file_names_the_file_and_the_lengths(bool gzip)
    {
        using var dir = new TempDir();
        var full = dir[gzip ? "full.gz" : "full"];
        Idx.Write(full, [2, 4, 4], TestFiles.RandomBytes(32, seed: 2));
        // Truncate the uncompressed content: rewrite it short (through Idx's own gzip handling for the .gz case).
        var content = Idx.Read(full);
        var path = dir[gzip ? "short.gz" : "short"];
        var header = new byte[] { 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4 };
        var shortBytes = header.Concat(content.Data[..20]).ToArray();
        if (gzip)
        {
            using var f = File.Create(path);
            using var z = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
            z.Write(shortBytes);
        }
        else File.WriteAllBytes(path, shortBytes);

        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("32", e.Message);
        Assert.Contains("20", e.Message);
    }

    [Fact]
    public void Label_count_mismatch_names_both_counts()
    {
        using var dir = new TempDir();
        Idx.Write(dir["i"], [3, 2, 2], new byte[12]);
        Idx.Write(dir["l"], [2], [0, 1]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.LoadDataset(dir["i"], dir["l"], FashionMnist.ClassNames, "x"));
        Assert.Contains(dir["l"], e.Message);
        Assert.Contains("label count 2 != image count 3", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-idx-" + Guid.NewGuid());
        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(path));
        Assert.Contains(path, e.Message);
    }
}
