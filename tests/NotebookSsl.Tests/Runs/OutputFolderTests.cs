using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

public class OutputFolderTests
{
    /// <summary>A folder no one can write here: a chmod 555 folder, or (as root, whom modes do not stop) a place under /sys.</summary>
    internal static string? ReadOnlyPlace(TempDir dir)
    {
        if (Environment.UserName != "root" && !OperatingSystem.IsWindows())
        {
            var folder = dir["locked"];
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return Path.Combine(folder, "runs");
        }
        try { File.WriteAllText("/sys/nbssl-probe", ""); return null; }   // /sys is writable here: no read-only place to test with
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return "/sys/nbssl-runs"; }
    }

    /// <summary>Makes the locked folder deletable again.</summary>
    internal static void Unlock(TempDir dir)
    {
        if (!OperatingSystem.IsWindows() && Directory.Exists(dir["locked"]))
            File.SetUnixFileMode(dir["locked"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void A_writable_folder_is_created_and_left_empty()
    {
        using var dir = new TempDir();
        var full = OutputFolder.EnsureWritable(dir["a/b"]);
        Assert.Equal(dir["a/b"], full);
        Assert.Empty(Directory.GetFileSystemEntries(full));
    }

    [Fact]
    public void A_path_that_is_a_file_is_named_as_a_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "");
        var e = Assert.Throws<IOException>(() => OutputFolder.EnsureWritable(dir["f"], "--out"));
        Assert.Equal($"--out {dir["f"]} is a file, not a folder.", e.Message);
        var below = Assert.Throws<IOException>(() => OutputFolder.EnsureWritable(Path.Combine(dir["f"], "sub"), "--out"));
        Assert.Contains($"{dir["f"]} is a file", below.Message);
    }

    [SkippableFact]
    public void A_read_only_place_is_named_as_read_only()
    {
        using var dir = new TempDir();
        var place = ReadOnlyPlace(dir);
        Skip.If(place is null, "no read-only place on this machine");
        var e = Assert.Throws<IOException>(() => OutputFolder.EnsureWritable(place!, "the run store"));
        Assert.StartsWith($"the run store {place}", e.Message);
        Assert.Contains("read-only", e.Message);
        Unlock(dir);
    }

    [Fact]
    public void An_unwritable_run_store_fails_before_training()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["file"], "");
        foreach (var root in new[] { dir["file"], ReadOnlyPlace(dir) })
        {
            if (root is null) continue;
            var store = new RunStore(root);
            bool trained = false;
            var key = new RunKey("t", new { a = 1 }, 0);
            var e = Assert.Throws<IOException>(() => store.GetOrTrain(key, () => nn.Linear(2, 2), m => { trained = true; return 1; }));
            Assert.Contains(root, e.Message);
            Assert.False(trained);
            Assert.Throws<IOException>(() => store.GetOrCompute(key, () => { trained = true; return 1; }));
            Assert.False(trained);
        }
        Unlock(dir);
    }
}
