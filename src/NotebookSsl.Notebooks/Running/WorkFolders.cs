using System.Text.RegularExpressions;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// The runner's temporary folders, <c>$TMPDIR/nbssl-PID-GUID</c>: one per notebook run, removed when the
/// run ends. A runner killed outright (SIGKILL) cannot remove its folder, so every runner first removes
/// the folders whose PID is no longer a running process.
/// </summary>
internal static partial class WorkFolders
{
    [GeneratedRegex(@"^nbssl-(?<pid>\d+)-[0-9a-f]{32}$")]
    private static partial Regex Name();

    /// <summary>A new empty folder for this process.</summary>
    public static string Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"nbssl-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Removes the work folders of processes that are gone; returns how many it removed.</summary>
    public static int RemoveOrphans(string? tempDirectory = null)
    {
        int removed = 0;
        IEnumerable<string> dirs;
        try { dirs = Directory.EnumerateDirectories(tempDirectory ?? Path.GetTempPath(), "nbssl-*"); }
        catch (IOException) { return 0; }
        foreach (var dir in dirs)
        {
            var m = Name().Match(Path.GetFileName(dir));
            if (!m.Success || !int.TryParse(m.Groups["pid"].Value, out var pid) || IsAlive(pid)) continue;
            try { Directory.Delete(dir, recursive: true); removed++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
