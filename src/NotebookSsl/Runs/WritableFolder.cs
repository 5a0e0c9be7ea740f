namespace NotebookSsl.Runs;

/// <summary>Checks, before any work, that results can be written where they are asked to go (`nbssl run --out`, `nbssl pretrain --out`).</summary>
public static class WritableFolder
{
    /// <summary>
    /// Creates <paramref name="path"/> if needed and proves it writable by writing and removing a probe
    /// file; otherwise throws ArgumentException saying which path and why ("is a file", "is read-only").
    /// A folder without any write permission bit counts as read-only even for root, who could write it.
    /// </summary>
    public static void EnsureWritable(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) throw new ArgumentException($"{what} {path}: is a file, not a folder");
        for (var up = Path.GetDirectoryName(full); up is not null && !Directory.Exists(up); up = Path.GetDirectoryName(up))
            if (File.Exists(up)) throw new ArgumentException($"{what} {path}: {up} is a file, not a folder");
        try { Directory.CreateDirectory(full); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{what} {path}: cannot be created ({e.Message})", e);
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0)
            throw new ArgumentException($"{what} {path}: is read-only");
        var probe = Path.Combine(full, $".nbssl-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{what} {path}: is read-only ({e.Message})", e);
        }
    }
}
