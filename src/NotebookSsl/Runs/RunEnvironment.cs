using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using NotebookSsl.Torch;

namespace NotebookSsl.Runs;

/// <summary>
/// Where a number came from, recorded beside every result (stored runs, results files, the metadata of
/// an executed notebook) so a reader can re-run it. The one record of it: the notebook engine writes the
/// same one. JSON names are snake_case, as in notebook metadata.
/// <para>
/// <see cref="Capture"/> does not load libtorch unless asked: the engine records the environment before
/// any cell runs. <see cref="Torch"/> (backend and threads, from libtorch) is then null unless libtorch
/// was already loaded; <see cref="TorchSharp"/> (the managed package's version) is always there.
/// </para>
/// </summary>
public sealed record RunEnvironment
{
    [JsonPropertyName("os")] public string Os { get; init; } = "?";
    [JsonPropertyName("os_architecture")] public string OsArchitecture { get; init; } = "?";
    [JsonPropertyName("dotnet")] public string Dotnet { get; init; } = "?";
    /// <summary>TorchSharp's version, e.g. 0.107.0 (read from the assembly; libtorch need not be loaded).</summary>
    [JsonPropertyName("torchsharp")] public string TorchSharp { get; init; } = "?";
    /// <summary>The TorchSharp backend package the library was built against: TorchSharp-cpu or TorchSharp-cuda-linux.</summary>
    [JsonPropertyName("torchsharp_backend")] public string? TorchSharpBackend { get; init; }
    /// <summary>libtorch as loaded: "TorchSharp 0.107.0.0, cpu, 1 threads"; null when libtorch was not loaded.</summary>
    [JsonPropertyName("torch")] public string? Torch { get; init; }
    [JsonPropertyName("machine")] public string Machine { get; init; } = "?";
    [JsonPropertyName("processor_count")] public int Cores { get; init; }
    /// <summary>The CPU's model name (/proc/cpuinfo), else the architecture.</summary>
    [JsonPropertyName("cpu")] public string Cpu { get; init; } = "?";
    /// <summary>$OMP_WAIT_POLICY (PASSIVE keeps idle OpenMP threads from spinning on a shared CPU).</summary>
    [JsonPropertyName("omp_wait_policy")] public string? OmpWaitPolicy { get; init; }
    /// <summary>This library's version.</summary>
    [JsonPropertyName("nbssl")] public string? Nbssl { get; init; }
    /// <summary>The git commit (40 hex digits) of the folder captured from; null outside a checkout.</summary>
    [JsonPropertyName("git_commit")] public string? GitCommit { get; init; }
    /// <summary>Whether tracked files differ from that commit; null outside a checkout.</summary>
    [JsonPropertyName("git_dirty")] public bool? GitDirty { get; init; }
    [JsonPropertyName("timestamp")] public DateTime Utc { get; init; }

    /// <summary>Describes this process and machine now.</summary>
    /// <param name="directory">Where to read the git commit from; default: the current folder.</param>
    /// <param name="loadTorch">Load libtorch to fill <see cref="Torch"/> (default); false leaves it null unless already loaded.</param>
    public static RunEnvironment Capture(string? directory = null, bool loadTorch = true)
    {
        directory ??= Environment.CurrentDirectory;
        var commit = Git(directory, "rev-parse HEAD");
        return new RunEnvironment
        {
            Os = RuntimeInformation.OSDescription,
            OsArchitecture = RuntimeInformation.OSArchitecture.ToString(),
            Dotnet = RuntimeInformation.FrameworkDescription,
            TorchSharp = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3) ?? "?",
            TorchSharpBackend = LibraryMetadata("TorchBackend") is { } backend ? $"TorchSharp-{backend}" : null,
            Torch = loadTorch || TorchRuntime.IsLoaded ? TorchRuntime.EnsureLoaded() : null,
            Machine = Environment.MachineName,
            Cores = Environment.ProcessorCount,
            Cpu = CpuName(),
            OmpWaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } p ? p : null,
            Nbssl = typeof(RunEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0],
            GitCommit = commit,
            GitDirty = commit is null ? null : (Git(directory, "status --porcelain --untracked-files=no") ?? "").Length > 0,
            Utc = DateTime.UtcNow,
        };
    }

    static string? LibraryMetadata(string key) =>
        typeof(RunEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

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

    /// <summary>
    /// The output of `git -C directory args`, trimmed; null where git is missing, fails or takes over 5 s.
    /// </summary>
    internal static string? Git(string directory, string args)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", $"-C \"{directory}\" {args}")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEndAsync();
            _ = git.StandardError.ReadToEndAsync();
            if (!git.WaitForExit(5000)) { git.Kill(); return null; }
            return git.ExitCode == 0 ? output.Result.Trim() : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;   // no git here
        }
    }
}
