using System.Net;
using System.Security.Cryptography;
using NotebookSsl.Data;

namespace NotebookSsl.Tests.Data;

/// <summary>An HTTP server on 127.0.0.1 that serves one byte array at /fixture.bin and 404 elsewhere.</summary>
sealed class FixtureServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Task loop;
    public int Requests;

    public FixtureServer(byte[] body)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try { listener.Start(); BaseUrl = new Uri($"http://127.0.0.1:{port}/"); break; }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        loop = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await listener.GetContextAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref Requests);
                if (ctx.Request.Url?.AbsolutePath == "/fixture.bin")
                {
                    ctx.Response.StatusCode = 200;
                    ctx.Response.ContentLength64 = body.Length;
                    await ctx.Response.OutputStream.WriteAsync(body);
                }
                else ctx.Response.StatusCode = 404;
                ctx.Response.Close();
            }
        });
    }

    public Uri BaseUrl { get; } = null!;

    static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}

public class DownloaderTests
{
    static readonly byte[] Body = TestFiles.RandomBytes(70_000, seed: 11);
    static string Sha256Hex => Convert.ToHexStringLower(SHA256.HashData(Body));
    static string Md5Hex => Convert.ToHexStringLower(MD5.HashData(Body));

    [Fact]
    public void Http_download_with_good_sha256_installs_the_file()
    {
        using var server = new FixtureServer(Body);
        using var dir = new TempDir();
        var dest = Path.Combine(dir.Path, "sub", "fixture.bin");
        var path = Downloader.Download(new Uri(server.BaseUrl, "fixture.bin"), dest, Checksum.Sha256(Sha256Hex));
        Assert.Equal(Path.GetFullPath(dest), path);
        Assert.Equal(Body, File.ReadAllBytes(dest));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "sub")));

        // A second call finds the verified file and fetches nothing.
        var before = server.Requests;
        Downloader.Download(new Uri(server.BaseUrl, "fixture.bin"), dest, Checksum.Sha256(Sha256Hex));
        Assert.Equal(before, server.Requests);
    }

    [Fact]
    public void Http_download_with_bad_md5_throws_and_leaves_nothing()
    {
        using var server = new FixtureServer(Body);
        using var dir = new TempDir();
        var wrong = Md5Hex[..^1] + (Md5Hex[^1] == '0' ? '1' : '0');
        var e = Assert.Throws<InvalidDataException>(() =>
            Downloader.Download(new Uri(server.BaseUrl, "fixture.bin"), dir["fixture.bin"], Checksum.Md5(wrong)));
        Assert.Contains(wrong, e.Message);
        Assert.Contains(Md5Hex, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Http_404_throws_and_leaves_nothing()
    {
        using var server = new FixtureServer(Body);
        using var dir = new TempDir();
        var e = Assert.Throws<HttpRequestException>(() =>
            Downloader.Download(new Uri(server.BaseUrl, "missing.bin"), dir["x"], null));
        Assert.Contains("404", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void File_uri_download_checks_the_hash_too()
    {
        using var dir = new TempDir();
        var source = dir["source.bin"];
        File.WriteAllBytes(source, Body);
        var good = Downloader.Download(new Uri(source), dir["good.bin"], Checksum.Md5(Md5Hex));
        Assert.Equal(Body, File.ReadAllBytes(good));

        var badHash = new string('a', 64);
        var e = Assert.Throws<InvalidDataException>(() => Downloader.Download(new Uri(source), dir["bad.bin"], Checksum.Sha256(badHash)));
        Assert.Contains(badHash, e.Message);
        Assert.Contains(Sha256Hex, e.Message);
        Assert.Equal(new[] { "good.bin", "source.bin" }, Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public void A_corrupted_existing_file_is_replaced()
    {
        using var dir = new TempDir();
        var source = dir["source.bin"];
        File.WriteAllBytes(source, Body);
        File.WriteAllBytes(dir["dest.bin"], [1, 2, 3]);
        Downloader.Download(new Uri(source), dir["dest.bin"], Checksum.Sha256(Sha256Hex));
        Assert.Equal(Body, File.ReadAllBytes(dir["dest.bin"]));
    }

    [Fact]
    public void Malformed_checksums_and_schemes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Checksum.Md5("abc"));
        Assert.Throws<ArgumentException>(() => Checksum.Sha256(new string('g', 64)));
        Assert.Throws<ArgumentException>(() => Downloader.Download(new Uri("ftp://127.0.0.1/x"), "x", null));
    }

    [Fact]
    public void Cifar10_download_fetches_verifies_and_extracts()
    {
        using var dir = new TempDir();
        var staging = Directory.CreateDirectory(dir["staging"]).FullName;
        var labels = new byte[] { 4, 2 };
        Cifar10.WriteBatch(Path.Combine(staging, "test_batch.bin"), labels, TestFiles.RandomBytes(2 * 3072, seed: 12));
        byte[] archive;
        using (var ms = new MemoryStream())
        {
            using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            using (var tar = new System.Formats.Tar.TarWriter(gz))
                tar.WriteEntry(Path.Combine(staging, "test_batch.bin"), $"{Cifar10.BatchFolder}/test_batch.bin");
            archive = ms.ToArray();
        }
        using var server = new FixtureServer(archive);
        var root = dir["root"];
        var batches = Cifar10.Download(root, new Uri(server.BaseUrl, "fixture.bin").ToString(),
            Checksum.Md5(Convert.ToHexStringLower(MD5.HashData(archive))));
        Assert.Equal(Path.Combine(root, Cifar10.BatchFolder), batches);
        using var ds = Cifar10.Load(DatasetSplit.Test, root);
        Assert.Equal(new long[] { 4, 2 }, ds.LabelArray());

        // The published checksum is what a plain call checks against: this fixture fails it, and nothing is left.
        var other = dir["other"];
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.Download(other, new Uri(server.BaseUrl, "fixture.bin").ToString()));
        Assert.Contains(Cifar10.ArchiveMd5, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(other));
    }
}
