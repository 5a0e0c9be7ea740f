using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

public class WritableFolderTests
{
    /// <summary>A folder without write permission bits (read-only to WritableFolder even for root).</summary>
    static string Locked(TempDir dir)
    {
        var folder = dir["locked"];
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return folder;
    }

    static void Unlock(TempDir dir)
    {
        if (!OperatingSystem.IsWindows() && Directory.Exists(dir["locked"]))
            File.SetUnixFileMode(dir["locked"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public void A_writable_folder_is_created_and_left_empty()
    {
        using var dir = new TempDir();
        WritableFolder.EnsureWritable(dir["a/b"], "--out");
        Assert.Empty(Directory.GetFileSystemEntries(dir["a/b"]));
    }

    [Fact]
    public void A_path_that_is_a_file_or_lies_below_one_is_named_as_a_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["f"], "");
        Assert.Equal($"--out {dir["f"]}: is a file, not a folder", Assert.Throws<ArgumentException>(() => WritableFolder.EnsureWritable(dir["f"], "--out")).Message);
        var below = Path.Combine(dir["f"], "sub");
        Assert.Contains($"{dir["f"]} is a file", Assert.Throws<ArgumentException>(() => WritableFolder.EnsureWritable(below, "--out")).Message);
    }

    [Fact]
    public void An_unwritable_run_store_fails_before_training_naming_the_path_and_why()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["file"], "");
        try
        {
            foreach (var (root, why) in new[] { (dir["file"], "is a file"), (Locked(dir), "is read-only") })
            {
                var store = new RunStore(root);
                bool trained = false;
                var key = new RunKey("t", new { a = 1 }, 0);
                var e = Assert.Throws<ArgumentException>(() => store.GetOrTrain(key, () => nn.Linear(2, 2), m => { trained = true; return 1; }));
                Assert.Contains(root, e.Message);
                Assert.Contains(why, e.Message);
                Assert.StartsWith("the run store ($NBSSL_RUNS", e.Message);
                Assert.Throws<ArgumentException>(() => store.GetOrCompute(key, () => { trained = true; return 1; }));
                Assert.False(trained);
            }
        }
        finally { Unlock(dir); }
    }
}
