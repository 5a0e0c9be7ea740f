using System.Security.Cryptography;
using NotebookSsl.Runs;

namespace NotebookSsl.Data;

/// <summary>The hash a dataset publishes for a file.</summary>
public enum HashKind { Sha256, Md5 }

/// <summary>An expected hash of a file, as lower-case hex.</summary>
public sealed record Checksum
{
    public Checksum(HashKind kind, string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var len = kind == HashKind.Sha256 ? 64 : 32;
        if (hex.Length != len || !hex.All(Uri.IsHexDigit))
            throw new ArgumentException($"a {kind} checksum is {len} hex digits; got '{hex}'", nameof(hex));
        Kind = kind;
        Hex = hex.ToLowerInvariant();
    }

    public HashKind Kind { get; }
    public string Hex { get; }

    public static Checksum Sha256(string hex) => new(HashKind.Sha256, hex);
    public static Checksum Md5(string hex) => new(HashKind.Md5, hex);

    public override string ToString() => $"{Kind.ToString().ToUpperInvariant()} {Hex}";
}

/// <summary>
/// Fetches a URL (http, https or file) to a temporary file beside the destination, checks its hash and only then
/// moves it into place. A mismatch deletes the temporary file and throws, naming the expected and actual hashes.
/// </summary>
public static class Downloader
{
    static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });

    /// <summary>Synchronous <see cref="DownloadAsync"/>.</summary>
    public static string Download(Uri url, string destination, Checksum? checksum, HttpClient? client = null) =>
        DownloadAsync(url, destination, checksum, client).GetAwaiter().GetResult();

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/> and returns its full path. When the destination
    /// already exists and matches <paramref name="checksum"/>, nothing is fetched.
    /// </summary>
    public static async Task<string> DownloadAsync(Uri url, string destination, Checksum? checksum,
        HttpClient? client = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(destination);
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https" or "file"))
            throw new ArgumentException($"only absolute http, https and file URLs can be downloaded; got '{url}'", nameof(url));
        var full = Path.GetFullPath(destination);
        if (checksum is not null && File.Exists(full) && Hash(full, checksum.Kind) == checksum.Hex)
            return full;

        if (url.IsFile && !File.Exists(url.LocalPath))
            throw new FileNotFoundException($"{url}: no such file", url.LocalPath);
        await AtomicFile.WriteAsync(full, async (output, cancel) =>
        {
            if (url.IsFile)
            {
                await using var input = File.OpenRead(url.LocalPath);
                await input.CopyToAsync(output, cancel);
            }
            else
            {
                using var response = await (client ?? SharedClient.Value)
                    .GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel);
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
                await using var input = await response.Content.ReadAsStreamAsync(cancel);
                await input.CopyToAsync(output, cancel);
            }
        }, check: temp =>
        {
            if (checksum is null) return;
            var actual = Hash(temp, checksum.Kind);
            if (actual != checksum.Hex)
                throw new InvalidDataException(
                    $"{url}: {checksum.Kind} mismatch: expected {checksum.Hex}, got {actual}; the download was discarded");
        }, cancellation);
        return full;
    }

    /// <summary>The hash of a file as lower-case hex.</summary>
    public static string Hash(string path, HashKind kind)
    {
        using var stream = File.OpenRead(path);
        var bytes = kind switch
        {
            HashKind.Sha256 => SHA256.HashData(stream),
            HashKind.Md5 => MD5.HashData(stream),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return Convert.ToHexStringLower(bytes);
    }
}
