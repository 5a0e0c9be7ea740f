using System.Buffers.Binary;

namespace NotebookSsl.Tests.Data;

/// <summary>A fresh temporary folder per test, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nbssl-data-" + Guid.NewGuid().ToString("N"));
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class TestFiles
{
    /// <summary>Writes a 24-bit uncompressed BMP; pixel(y, x) gives (r, g, b).</summary>
    public static void WriteBmp(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var rowBytes = (width * 3 + 3) / 4 * 4;
        var imageBytes = rowBytes * height;
        var bytes = new byte[54 + imageBytes];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), imageBytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(38), 2835);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(42), 2835);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + (height - 1 - y) * rowBytes; // bottom-up
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(y, x);
                bytes[row + 3 * x] = b;
                bytes[row + 3 * x + 1] = g;
                bytes[row + 3 * x + 2] = r;
            }
        }
        File.WriteAllBytes(path, bytes);
    }

    public static byte[] RandomBytes(int n, int seed, int max = 256)
    {
        var rng = new Random(seed);
        var b = new byte[n];
        for (var i = 0; i < n; i++) b[i] = (byte)rng.Next(max);
        return b;
    }
}

internal static class TensorAssertions
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool Same(this TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
