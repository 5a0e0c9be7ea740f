using System.Text;
using System.Text.Json;

namespace NotebookSsl.Runs;

/// <summary>
/// Writes a file under a unique temporary name beside it (<c>.NAME.PID.GUID.part</c>) and moves it into
/// place in one step, so a reader never sees half a file and a failure leaves the old file (or none).
/// The one place in the repository that does this: weights, datasets, downloads, JSON, reports.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; the parent folder is created.</summary>
    /// <param name="check">Runs on the complete temporary file before it is moved into place; throw to discard it.</param>
    public static void Write(string path, Action<Stream> write, Action<string>? check = null)
    {
        var (full, temp) = Prepare(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            check?.Invoke(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally { DeleteQuietly(temp); }
    }

    /// <summary>As <see cref="Write"/>, for writers that are asynchronous (downloads).</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, Action<string>? check = null,
        CancellationToken cancellation = default)
    {
        var (full, temp) = Prepare(path);
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellation);
                stream.Flush(flushToDisk: true);
            }
            check?.Invoke(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally { DeleteQuietly(temp); }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>Writes <paramref name="value"/> as indented JSON with the project's options (<see cref="RunJson.Indented"/>).</summary>
    public static void WriteJson<T>(string path, T value) =>
        Write(path, stream => JsonSerializer.Serialize(stream, value, RunJson.Indented));

    /// <summary>A fresh temporary name beside <paramref name="fullPath"/>, unique across processes and calls.</summary>
    internal static string TempNameFor(string fullPath) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");

    static (string Full, string Temp) Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return (full, TempNameFor(full));
    }

    static void DeleteQuietly(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Passes writes through and leaves the inner stream open on dispose.</summary>
internal sealed class NonClosingStream(Stream inner) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
}
