using System.Buffers.Binary;
using System.IO.Compression;
using NotebookSsl.Runs;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>A decoded IDX file of unsigned bytes: its dimensions and its data, row-major.</summary>
internal sealed record IdxData(int[] Dims, byte[] Data);

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST: a big-endian magic 0x00 0x00 type ndim (type 0x08 =
/// unsigned byte), then ndim big-endian int32 dimensions, then the data. Files ending in .gz (or starting
/// with the gzip magic) are decompressed on the fly.
/// </summary>
internal static class Idx
{
    /// <summary>Magic of a 1-D unsigned-byte file (labels).</summary>
    public const int LabelsMagic = 0x00000801;
    /// <summary>Magic of a 3-D unsigned-byte file (images N x rows x cols).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Reads an unsigned-byte IDX file; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static IdxData Read(string path)
    {
        var bytes = ReadAllBytes(path);
        if (bytes.Length < 4)
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path}: bad IDX magic 0x{BinaryPrimitives.ReadInt32BigEndian(bytes):X8} (first two bytes must be zero)");
        if (bytes[2] != 0x08)
            throw new InvalidDataException($"{path}: IDX data type 0x{bytes[2]:X2} is not supported (only 0x08, unsigned byte)");
        int ndim = bytes[3];
        if (ndim == 0)
            throw new InvalidDataException($"{path}: IDX header declares zero dimensions");
        var header = 4 + 4 * ndim;
        if (bytes.Length < header)
            throw new InvalidDataException($"{path}: truncated IDX header ({bytes.Length} bytes, need {header} for {ndim} dimensions)");
        var dims = new int[ndim];
        long total = 1;
        for (var d = 0; d < ndim; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] < 0)
                throw new InvalidDataException($"{path}: dimension {d} is negative ({dims[d]})");
            total *= dims[d];
        }
        var actual = bytes.Length - header;
        if (actual != total)
            throw new InvalidDataException(
                $"{path}: wrong length: dimensions [{string.Join(", ", dims)}] need {total} data bytes but the file has {actual}"
                + (actual < total ? " (truncated)" : " (trailing bytes)"));
        return new IdxData(dims, bytes[header..]);
    }

    /// <summary>Reads an images file (magic 0x00000803): N x rows x cols bytes.</summary>
    public static IdxData ReadImages(string path) => ReadExpecting(path, ImagesMagic, "images");

    /// <summary>Reads a labels file (magic 0x00000801): N bytes.</summary>
    public static IdxData ReadLabels(string path) => ReadExpecting(path, LabelsMagic, "labels");

    static IdxData ReadExpecting(string path, int magic, string what)
    {
        var data = Read(path);
        var expectedDims = magic & 0xFF;
        if (data.Dims.Length != expectedDims)
            throw new InvalidDataException(
                $"{path}: bad magic for an IDX {what} file: 0x{0x0800 | data.Dims.Length:X8}, expected 0x{magic:X8}");
        return data;
    }

    /// <summary>
    /// Loads an images file and a labels file into a dataset: images [N, 1, rows, cols] scaled to [0, 1],
    /// labels int64 [N]. Throws when the counts differ or a label names no class.
    /// </summary>
    public static ImageDataset LoadDataset(string imagesPath, string labelsPath, string[] classNames, string name)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        int n = images.Dims[0], rows = images.Dims[1], cols = images.Dims[2];
        if (labels.Dims[0] != n)
            throw new InvalidDataException($"{labelsPath}: label count {labels.Dims[0]} != image count {n} in {imagesPath}");
        var bad = Array.FindIndex(labels.Data, l => l >= classNames.Length);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: label {labels.Data[bad]} at index {bad} is not below the {classNames.Length} classes");
        using var scope = NewDisposeScope();
        var x = tensor(images.Data, [n, 1, rows, cols], ScalarType.Byte)
            .to_type(ScalarType.Float32).div_(255f);            // [N, 1, H, W]
        var y = tensor(labels.Data, [n], ScalarType.Byte).to_type(ScalarType.Int64); // [N]
        return new ImageDataset(x, y, classNames, name);
    }

    /// <summary>Writes an unsigned-byte IDX file (gzip-compressed when the path ends in .gz), via a temp file.</summary>
    internal static void Write(string path, int[] dims, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(data);
        if (dims.Length is 0 or > 255)
            throw new ArgumentException($"IDX needs 1 to 255 dimensions; got {dims.Length}", nameof(dims));
        long total = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d}", nameof(dims));
            total *= d;
        }
        if (total != data.Length)
            throw new ArgumentException($"dimensions [{string.Join(", ", dims)}] need {total} bytes; got {data.Length}", nameof(data));
        AtomicFile.Write(path, stream =>
        {
            using var output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)
                : (Stream)new NonClosingStream(stream);
            Span<byte> word = stackalloc byte[4];
            output.Write([0, 0, 0x08, (byte)dims.Length]);
            foreach (var d in dims)
            {
                BinaryPrimitives.WriteInt32BigEndian(word, d);
                output.Write(word);
            }
            output.Write(data);
        });
    }

    static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: IDX file not found", path);
        using var file = File.OpenRead(path);
        var magic = new byte[2];
        var gz = file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        if (!gz) return File.ReadAllBytes(path);
        try
        {
            using var unzip = new GZipStream(file, CompressionMode.Decompress);
            using var ms = new MemoryStream();
            unzip.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt gzip stream: {e.Message}", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated gzip stream", e);
        }
    }
}
