using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Execution;

namespace NotebookSsl.Notebooks.Running;

/// <summary>Where a notebook ran: OS, .NET, TorchSharp, machine, git commit, time; stored in the notebook metadata.</summary>
public static class RunEnvironment
{
    public static JsonObject Describe(string notebookDirectory)
    {
        var torch = typeof(TorchSharp.torch).Assembly;
        var torchVersion = torch.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
            ?? torch.GetName().Version?.ToString();
        var backend = PackageCatalog.Carried.Packages.Keys.FirstOrDefault(k => k.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase));
        var env = new JsonObject
        {
            ["os"] = RuntimeInformation.OSDescription,
            ["os_architecture"] = RuntimeInformation.OSArchitecture.ToString(),
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["torchsharp"] = torchVersion,
            ["torchsharp_backend"] = backend,
            ["machine"] = Environment.MachineName,
            ["processor_count"] = Environment.ProcessorCount,
            ["omp_wait_policy"] = NotebookRunner.OmpWaitPolicy,
            ["nbssl"] = typeof(RunEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0],
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("o"),
        };
        var commit = Git(notebookDirectory, "rev-parse HEAD");
        if (commit is not null)
        {
            env["git_commit"] = commit;
            env["git_dirty"] = (Git(notebookDirectory, "status --porcelain --untracked-files=no") ?? "").Length > 0;
        }
        return env;
    }

    static string? Git(string dir, string args) => NotebookSsl.Experiments.RunEnvironment.Git(dir, args);
}
