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

    static string? CurrentCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null) return null;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && commit.Length > 0 ? commit : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
