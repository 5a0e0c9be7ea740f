using System.Formats.Tar;
using System.IO.Compression;
using NotebookSsl.Data;
using TorchSharp;

namespace NotebookSsl.Tests.Data;

public class Cifar10Tests
{
    const int Pixels = 3 * 32 * 32;

    static (byte[] Labels, byte[] Pixels) Records(int n, int seed) =>
        (TestFiles.RandomBytes(n, seed, max: 10), TestFiles.RandomBytes(n * Pixels, seed + 1));

    /// <summary>Writes records by hand (label byte, then 3072 CHW bytes), independently of Cifar10.WriteBatch.</summary>
    static void WriteByHand(string path, byte[] labels, byte[] pixels)
    {
        using var f = File.Create(path);
        for (var i = 0; i < labels.Length; i++)
        {
            f.WriteByte(labels[i]);
            f.Write(pixels, i * Pixels, Pixels);
        }
    }

    [Fact]
    public void Binary_batch_round_trips()
    {
        using var dir = new TempDir();
        var (labels, pixels) = Records(20, seed: 5);
        WriteByHand(dir["test_batch.bin"], labels, pixels);
        Assert.Equal(20 * 3073, new FileInfo(dir["test_batch.bin"]).Length);

        using var ds = Cifar10.Load(DatasetSplit.Test, dir.Path);
        Assert.Equal([20, 3, 32, 32], ds.Images.shape);
        Assert.Equal(labels.Select(l => (long)l).ToArray(), ds.LabelArray());
        // record 7, green channel, row 4, column 30
        var expected = pixels[7 * Pixels + 1 * 1024 + 4 * 32 + 30] / 255f;
        Assert.Equal(expected, ds.Images[7, 1, 4, 30].ToSingle(), 6);
        Assert.Equal("airplane", ds.ClassNames[0]);

        Cifar10.WriteBatch(dir["copy.bin"], labels, pixels);
        Assert.Equal(File.ReadAllBytes(dir["test_batch.bin"]), File.ReadAllBytes(dir["copy.bin"]));
    }

    [Fact]
    public void Train_split_concatenates_five_batches_in_order()
    {
        using var dir = new TempDir();
        var all = new List<byte>();
        for (var b = 1; b <= 5; b++)
        {
            var (labels, pixels) = Records(2, seed: 10 * b);
            Cifar10.WriteBatch(dir[$"data_batch_{b}.bin"], labels, pixels);
            all.AddRange(labels);
        }
        using var ds = Cifar10.Load(DatasetSplit.Train, dir.Path);
        Assert.Equal(10, ds.Count);
        Assert.Equal(all.Select(l => (long)l).ToArray(), ds.LabelArray());
    }

    [Fact]
    public void Wrong_length_names_the_file_and_the_record_size()
    {
        using var dir = new TempDir();
        var (labels, pixels) = Records(3, seed: 6);
        WriteByHand(dir["test_batch.bin"], labels, pixels);
        using (var f = new FileStream(dir["test_batch.bin"], FileMode.Open)) f.SetLength(3 * 3073 - 100);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Load(DatasetSplit.Test, dir.Path));
        Assert.Contains(dir["test_batch.bin"], e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_rejected()
    {
        using var dir = new TempDir();
        var (labels, pixels) = Records(3, seed: 7);
        labels[2] = 10;
        WriteByHand(dir["b.bin"], labels, pixels);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(dir["b.bin"]));
        Assert.Contains("record 2", e.Message);
    }

    [Fact]
    public void Tar_gz_archive_is_extracted_and_loaded()
    {
        using var dir = new TempDir();
        var (labels, pixels) = Records(4, seed: 8);
        var staging = Directory.CreateDirectory(dir["staging"]).FullName;
        WriteByHand(Path.Combine(staging, "test_batch.bin"), labels, pixels);
        var root = Directory.CreateDirectory(dir["root"]).FullName;
        using (var f = File.Create(Path.Combine(root, Cifar10.ArchiveName)))
        using (var gz = new GZipStream(f, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz))
            tar.WriteEntry(Path.Combine(staging, "test_batch.bin"), $"{Cifar10.BatchFolder}/test_batch.bin");

        using var ds = Cifar10.Load(DatasetSplit.Test, root);
        Assert.Equal(labels.Select(l => (long)l).ToArray(), ds.LabelArray());
        Assert.True(File.Exists(Path.Combine(root, Cifar10.BatchFolder, "test_batch.bin")));
        Assert.Empty(Directory.GetDirectories(root, ".extract-*"));
    }

    [Fact]
    public void Corrupt_archive_is_reported_and_leaves_nothing()
    {
        using var dir = new TempDir();
        var archive = dir[Cifar10.ArchiveName];
        File.WriteAllBytes(archive, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Extract(archive, dir["out"]));
        Assert.Contains(archive, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir["out"]));
    }

    [Fact]
    public void Missing_dataset_says_how_to_download()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Cifar10.Load(DatasetSplit.Test, dir.Path));
        Assert.Contains("Cifar10.Download", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }
}
