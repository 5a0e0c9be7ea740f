using System.Formats.Tar;
using System.IO.Compression;
using NotebookSsl.Runs;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// CIFAR-10 (Krizhevsky 2009) from its binary version: data_batch_1..5.bin (train) and test_batch.bin, each a run of
/// 3,073-byte records: one label byte, then 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue; 32x32 row-major).
/// </summary>
public static class Cifar10
{
    public static readonly string[] ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    public const string Url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    /// <summary>The MD5 the dataset page publishes for cifar-10-binary.tar.gz.</summary>
    public const string ArchiveMd5 = "c32a1d4ab5d03f1284b67883e8d87530";
    public const string ArchiveName = "cifar-10-binary.tar.gz";
    /// <summary>The folder the archive unpacks to.</summary>
    public const string BatchFolder = "cifar-10-batches-bin";

    public const int ImageSize = 32;
    public const int RecordBytes = 1 + 3 * ImageSize * ImageSize;

    public static string[] TrainFiles => ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public static string[] TestFiles => ["test_batch.bin"];

    /// <summary>The folders searched: only <paramref name="root"/> when one is named (no fallback); otherwise data/cifar-10 in the repository.</summary>
    public static IReadOnlyList<string> SearchFolders(string? root = null)
    {
        if (root is not null) return [Path.GetFullPath(root)];
        return DataPaths.RepoData("cifar-10") is { } repo ? [repo] : [];
    }

    /// <summary>
    /// The folder holding the batch files of <paramref name="split"/>: a searched folder itself, its cifar-10-batches-bin,
    /// or (after extracting it there) its cifar-10-binary.tar.gz. Null when none has them.
    /// </summary>
    public static string? Locate(DatasetSplit split, string? root = null)
    {
        var files = split == DatasetSplit.Train ? TrainFiles : TestFiles;
        bool Has(string dir) => files.All(f => File.Exists(Path.Combine(dir, f)));
        foreach (var folder in SearchFolders(root))
        {
            if (Has(folder)) return folder;
            var inner = Path.Combine(folder, BatchFolder);
            if (Has(inner)) return inner;
            var archive = Path.Combine(folder, ArchiveName);
            if (File.Exists(archive))
            {
                Extract(archive, folder);
                if (Has(inner)) return inner;
                throw new InvalidDataException($"{archive}: extracted, but {BatchFolder}/ lacks {string.Join(", ", files)}");
            }
        }
        return null;
    }

    /// <summary>Loads a split: images float32 [N, 3, 32, 32] in [0, 1] (N = 50,000 train, 10,000 test), labels int64 [N].</summary>
    public static ImageDataset Load(DatasetSplit split = DatasetSplit.Train, string? root = null)
    {
        var dir = Locate(split, root) ?? throw new FileNotFoundException(
            $"CIFAR-10 {split}: batch files are not in "
            + (root is null ? $"any of: {string.Join(", ", SearchFolders(root))}. " : $"{Path.GetFullPath(root)}, the data root named (no other folder is searched). ")
            + $"Download them with Cifar10.Download(folder) (fetches {Url}).");
        var files = (split == DatasetSplit.Train ? TrainFiles : TestFiles).Select(f => Path.Combine(dir, f));
        return LoadBatches(files, $"CIFAR-10 {split.ToString().ToLowerInvariant()}");
    }

    /// <summary>Loads and concatenates binary batch files in the given order.</summary>
    public static ImageDataset LoadBatches(IEnumerable<string> batchFiles, string name = "CIFAR-10")
    {
        var batches = batchFiles.Select(ReadBatch).ToList();
        if (batches.Count == 0) throw new ArgumentException("no batch files given", nameof(batchFiles));
        var n = batches.Sum(b => b.Labels.Length);
        var pixels = new byte[(long)n * (RecordBytes - 1)];
        var labels = new byte[n];
        var at = 0;
        foreach (var b in batches)
        {
            b.Pixels.CopyTo(pixels, (long)at * (RecordBytes - 1));
            b.Labels.CopyTo(labels, at);
            at += b.Labels.Length;
        }
        using var scope = NewDisposeScope();
        var x = tensor(pixels, [n, 3, ImageSize, ImageSize], ScalarType.Byte)
            .to_type(ScalarType.Float32).div_(255f);                       // [N, 3, 32, 32]
        var y = tensor(labels, [n], ScalarType.Byte).to_type(ScalarType.Int64); // [N]
        return new ImageDataset(x, y, ClassNames, name);
    }

    /// <summary>Reads one binary batch file into its pixel bytes (N x 3072, CHW) and label bytes (N).</summary>
    public static (byte[] Pixels, byte[] Labels) ReadBatch(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: CIFAR-10 batch file not found", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
            throw new InvalidDataException(
                $"{path}: wrong length: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records "
                + $"({bytes.Length / RecordBytes} records and {bytes.Length % RecordBytes} bytes over)");
        var n = bytes.Length / RecordBytes;
        var pixels = new byte[(long)n * (RecordBytes - 1)];
        var labels = new byte[n];
        for (var i = 0; i < n; i++)
        {
            var label = bytes[i * RecordBytes];
            if (label >= ClassNames.Length)
                throw new InvalidDataException($"{path}: record {i} has label {label}; CIFAR-10 labels are 0..9");
            labels[i] = label;
            Buffer.BlockCopy(bytes, i * RecordBytes + 1, pixels, i * (RecordBytes - 1), RecordBytes - 1);
        }
        return (pixels, labels);
    }

    /// <summary>Writes records in the binary batch format (for tests and small fixtures): pixels N x 3072 CHW bytes.</summary>
    internal static void WriteBatch(string path, byte[] labels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)labels.Length * (RecordBytes - 1))
            throw new ArgumentException($"{labels.Length} labels need {labels.Length * (RecordBytes - 1)} pixel bytes; got {pixels.Length}", nameof(pixels));
        AtomicFile.Write(path, stream =>
        {
            for (var i = 0; i < labels.Length; i++)
            {
                stream.WriteByte(labels[i]);
                stream.Write(pixels, i * (RecordBytes - 1), RecordBytes - 1);
            }
        });
    }

    /// <summary>
    /// Unpacks a .tar.gz into <paramref name="destination"/>: it is extracted into a temporary folder beside the destination
    /// first and its top-level entries are moved into place afterwards, so a corrupt archive leaves nothing behind.
    /// </summary>
    public static void Extract(string tarGzPath, string destination)
    {
        if (!File.Exists(tarGzPath)) throw new FileNotFoundException($"{tarGzPath}: archive not found", tarGzPath);
        Directory.CreateDirectory(destination);
        var temp = Path.Combine(destination, $".extract-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            try
            {
                using var file = File.OpenRead(tarGzPath);
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                TarFile.ExtractToDirectory(gz, temp, overwriteFiles: true);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                throw new InvalidDataException($"{tarGzPath}: corrupt archive: {e.Message}", e);
            }
            foreach (var entry in Directory.EnumerateFileSystemEntries(temp))
            {
                var target = Path.Combine(destination, Path.GetFileName(entry));
                if (Directory.Exists(entry))
                {
                    if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
                    Directory.Move(entry, target);
                }
                else File.Move(entry, target, overwrite: true);
            }
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Downloads cifar-10-binary.tar.gz into <paramref name="root"/> (checking its published MD5) and unpacks it there,
    /// giving <c>root/cifar-10-batches-bin/</c>. Returns that folder. <paramref name="url"/> and <paramref name="checksum"/>
    /// default to the official archive and its MD5 (a mirror may be given instead).
    /// </summary>
    public static string Download(string root, string url = Url, Checksum? checksum = null)
    {
        var archive = Downloader.Download(new Uri(url), Path.Combine(root, ArchiveName), checksum ?? Checksum.Md5(ArchiveMd5));
        Extract(archive, root);
        return Path.Combine(root, BatchFolder);
    }
}
