namespace NotebookSsl.Runs;

/// <summary>
/// Checks, before any work, that a folder can be written: a run that trains for an hour and then cannot
/// save is work lost. Used by the run store, <c>nbssl pretrain --out</c> and <c>nbssl run --out</c>.
/// </summary>
public static class OutputFolder
{
    /// <summary>
    /// Creates <paramref name="path"/> if needed and proves it writable by creating and deleting a file in it.
    /// Throws an <see cref="IOException"/> naming the path and the reason ("… is a file", "… is read-only").
    /// </summary>
    /// <param name="what">What the folder is for, to start the message ("the run store", "--out").</param>
    /// <returns>The full path.</returns>
    public static string EnsureWritable(string path, string what = "the output folder")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new IOException($"{what} {full} is a file, not a folder.");
        for (var up = Path.GetDirectoryName(full); up is not null; up = Path.GetDirectoryName(up))
            if (File.Exists(up)) throw new IOException($"{what} {full} cannot be created: {up} is a file, not a folder.");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            var existing = full;
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent) existing = parent;
            throw new IOException($"{what} {full} cannot be created: {existing} is read-only ({e.Message}).", e);
        }
        var probe = Path.Combine(full, $".nbssl-write-check.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"{what} {full} is read-only ({e.Message}).", e);
        }
        return full;
    }
}
