using System.Diagnostics;
using System.Runtime.InteropServices;
using NotebookSsl.Torch;

namespace NotebookSsl.Experiments;

/// <summary>Where a number came from: recorded beside every result so a reader can re-run it.</summary>
public sealed record RunEnvironment(string Os, string Dotnet, string Torch, int Cores, string Cpu, string? GitCommit, DateTime Utc)
{
    public static RunEnvironment Capture() => new(
        RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, TorchRuntime.EnsureLoaded(),
        Environment.ProcessorCount, CpuName(), CurrentCommit(), DateTime.UtcNow);

    static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            return line?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
        catch (UnauthorizedAccessException) { return RuntimeInformation.ProcessArchitecture.ToString(); }
    }

    static string? CurrentCommit() => Git(Environment.CurrentDirectory, "rev-parse --short HEAD");

    /// <summary>
    /// The output of `git -C directory args`, trimmed; null where git is missing, fails or takes over 5 s
    /// (e.g. `rev-parse HEAD`, or `status --porcelain` to tell a dirty tree).
    /// </summary>
    public static string? Git(string directory, string args)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C \"{directory}\" {args}")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEndAsync();
            if (!git.WaitForExit(5000)) { git.Kill(); return null; }
            return git.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;   // no git here
        }
    }
}
