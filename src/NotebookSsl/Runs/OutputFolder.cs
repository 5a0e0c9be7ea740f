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
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{what} is empty: give a folder.", nameof(path));
        var full = Path.GetFullPath(path);
        if (BrokenLink(full) is { } broken) throw new IOException($"{what} {full} {broken}");
        if (File.Exists(full))
            throw new IOException($"{what} {full} is a file, not a folder.");
        for (var up = Path.GetDirectoryName(full); up is not null; up = Path.GetDirectoryName(up))
        {
            if (BrokenLink(up) is { } brokenAbove) throw new IOException($"{what} {full} cannot be created: {up} {brokenAbove}");
            if (File.Exists(up)) throw new IOException($"{what} {full} cannot be created: {up} is a file, not a folder.");
        }
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

    /// <summary>
    /// Why <paramref name="path"/>, a symbolic link, leads nowhere ("is a symbolic link that loops ..."), or null when
    /// it is no link or a link to something. File.Exists says true for both kinds, which would call them "a file".
    /// </summary>
    static string? BrokenLink(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (info.LinkTarget is not { } target) return null;
        try
        {
            var final = info.ResolveLinkTarget(returnFinalTarget: true);
            return final is null || final.Exists || Directory.Exists(final.FullName) ? null
                : $"is a symbolic link to {target}, which does not exist: create {final.FullName} or remove the link.";
        }
        catch (IOException)   // ELOOP: too many levels of symbolic links
        {
            return $"is a symbolic link that loops (it leads back to itself through {target}): point it at a folder or remove it.";
        }
    }

    /// <summary>
    /// Locks <paramref name="path"/> (created if needed) for one job for as long as the result lives: an OS lock on
    /// <c>.nbssl.lock</c> in it, released when the process ends in any way. Throws an <see cref="IOException"/>
    /// naming the pid that holds it when another job has it.
    /// </summary>
    /// <param name="what">What the folder is for, to start the message ("--out").</param>
    public static IDisposable Lock(string path, string what = "the output folder")
    {
        var full = EnsureWritable(path, what);
        return FileLock.TryAcquire(Path.Combine(full, LockFile), out var holder)
            ?? throw new OutputFolderInUseException(
                $"{what} {full} is in use by {(holder is { } pid ? $"pid {pid}" : "another process")}: wait for it to end, or choose another folder.");
    }

    /// <summary>The lock file <see cref="Lock"/> holds in the folder.</summary>
    public const string LockFile = ".nbssl.lock";
}

/// <summary>Another job holds the output folder's lock (<see cref="OutputFolder.Lock"/>); the message names its pid.</summary>
public sealed class OutputFolderInUseException(string message) : IOException(message);
