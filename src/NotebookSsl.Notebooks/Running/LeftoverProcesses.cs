using System.Runtime.InteropServices;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// Processes a notebook started and left running. The worker makes itself the leader of a new process group
/// (<see cref="LeadOwnGroup"/>), so whatever its cells start (and those start) is in that group, even after
/// the worker ended and they were handed to init; when the worker is gone the runner lists them and ends them
/// (<see cref="EndGroup"/>). A child that left the group (setsid, a daemon) is out of reach, but the runner
/// does not wait for it either: it stops reading the worker's pipes soon after the worker exits.
/// </summary>
internal static class LeftoverProcesses
{
    [DllImport("libc", SetLastError = true)]
    static extern int setpgid(int pid, int pgid);

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    /// <summary>In the worker: a process group of its own (no-op on Windows).</summary>
    public static void LeadOwnGroup()
    {
        if (!OperatingSystem.IsWindows()) setpgid(0, 0);
    }

    [DllImport("libc")]
    static extern int getpgrp();

    /// <summary>
    /// In the worker, when its runner is gone: SIGKILL to its whole group, itself included; only when it does lead
    /// its group, else the group is the runner's (and maybe a shell pipeline's). No-op on Windows.
    /// </summary>
    public static void EndOwnGroup()
    {
        if (!OperatingSystem.IsWindows() && getpgrp() == Environment.ProcessId) kill(0, 9);
    }

    /// <summary>
    /// In the runner, after the worker (<paramref name="leader"/>) exited: kills what is left of its process group and
    /// returns those processes as "PID command line" (from /proc; empty where /proc is missing).
    /// </summary>
    public static List<string> EndGroup(int leader)
    {
        if (OperatingSystem.IsWindows()) return [];
        var found = new List<string>();
        if (Directory.Exists("/proc"))
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == leader) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // state ppid pgrp ...
                    if (fields[0] is "Z" or "X" || int.Parse(fields[2]) != leader) continue;
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                    found.Add($"{pid} {(cmdline.Length > 0 ? cmdline : stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')])}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { /* gone meanwhile */ }
            }
        }
        kill(-leader, 9);   // the whole group; ESRCH when nothing is left
        return found;
    }
}
