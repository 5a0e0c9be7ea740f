namespace NotebookSsl.Runs;

/// <summary>
/// An exclusive lock on a file, held while the object lives: the run store's lock per run key and
/// <c>nbssl pretrain</c>'s lock on its output folder. It is the operating system's lock on an open file
/// (flock on Unix, a sharing lock on Windows), so it is released when the holder ends in any way, a kill
/// included, and never left stale. Each acquisition opens the file anew, so two threads of one process
/// exclude each other as two processes do.
/// <para>
/// The lock file itself stays behind (removing it would race with a process opening it). Who holds the
/// lock is written beside it, in <c>NAME.owner</c> (the locked file cannot be read by others while held).
/// </para>
/// </summary>
internal sealed class FileLock : IDisposable
{
    readonly FileStream stream;

    /// <summary>
    /// Whether an open failed because another holds the lock: on Unix .NET reports flock's EWOULDBLOCK (11 on
    /// Linux, 35 on macOS) as the HResult; on Windows a sharing or lock violation. Anything else (a read-only
    /// file system, no permission) is a real failure to report.
    /// </summary>
    static bool HeldByAnother(IOException e) =>
        OperatingSystem.IsWindows() ? e.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
        : OperatingSystem.IsLinux() ? e.HResult == 11 : e.HResult == 35;

    FileLock(string path, FileStream stream) { Path = path; this.stream = stream; }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>The lock, or null when another holds it (<paramref name="holder"/>: its pid, when known).</summary>
    /// <exception cref="IOException">The lock file cannot be created (a read-only folder, a path through a file).</exception>
    public static FileLock? TryAcquire(string path, out int? holder)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException e) when (HeldByAnother(e))
        {
            holder = Holder(full);
            return null;
        }
        holder = null;
        try { AtomicFile.WriteAllText(OwnerFile(full), $"{Environment.ProcessId}\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* who holds it is a courtesy; the lock is what counts */ }
        return new FileLock(full, stream);
    }

    /// <summary>
    /// Waits for the lock; <paramref name="waiting"/> is told once, with the holder's pid when known, when it has to wait.
    /// </summary>
    public static FileLock Acquire(string path, Action<int?> waiting, CancellationToken cancel = default)
    {
        var pause = TimeSpan.FromMilliseconds(50);
        bool told = false;
        while (true)
        {
            if (TryAcquire(path, out var holder) is { } held) return held;
            if (!told) { waiting(holder); told = true; }
            // the OS offers no portable blocking wait on this lock from .NET: poll, backing off to a second
            cancel.WaitHandle.WaitOne(pause);
            cancel.ThrowIfCancellationRequested();
            pause = TimeSpan.FromMilliseconds(Math.Min(1000, pause.TotalMilliseconds * 2));
        }
    }

    /// <summary>The pid written by the holder of the lock at <paramref name="path"/>, or null when unknown.</summary>
    internal static int? Holder(string path)
    {
        try { return int.TryParse(File.ReadAllText(OwnerFile(path)).Trim(), out var pid) ? pid : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    static string OwnerFile(string path) => path + ".owner";

    public void Dispose() => stream.Dispose();
}
