using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>Runs the real nbssl command (dotnet nbssl.dll) built next to the tests.</summary>
public static class Nbssl
{
    public static string SamplesDir => Path.Combine(AppContext.BaseDirectory, "Samples");

    public static string Sample(string name) => Path.Combine(SamplesDir, name);

    /// <summary>A new folder under /tmp that the test removes (<see cref="Delete"/>): nothing stays behind.</summary>
    public static string NewOutDir() => Directory.CreateTempSubdirectory("nbssl-tests-").FullName;

    /// <summary>The repository's root (the folder holding NotebookSsl.sln) above the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "NotebookSsl.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("NotebookSsl.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Starts nbssl without waiting (stderr and stdout redirected); the caller kills or waits.</summary>
    public static Process Start(params string[] args) => StartIn(null, args);

    /// <summary>As <see cref="Start"/>, in <paramref name="workingDirectory"/> (null: this process's).</summary>
    public static Process StartIn(string? workingDirectory, params string[] args) => StartIn(workingDirectory, null, args);

    static Process StartIn(string? workingDirectory, Dictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var (k, v) in environment ?? []) psi.Environment[k] = v;
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nbssl.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static void Delete(string dir)
    {
        try
        {
            if (!Directory.Exists(dir)) return;
            if (!OperatingSystem.IsWindows())   // a test may have made a folder read-only
                foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Prepend(dir))
                File.SetUnixFileMode(d, File.GetUnixFileMode(d) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
    }

    public static (int ExitCode, string Log) Run(params string[] args) => RunIn(null, args);

    /// <summary>As <see cref="Run"/>, with these environment variables set for nbssl.</summary>
    public static (int ExitCode, string Log) RunWith(Dictionary<string, string> environment, params string[] args)
    {
        using var p = StartIn(null, environment, args);
        return Finish(p);
    }

    /// <summary>As <see cref="Run"/>, in <paramref name="workingDirectory"/> (a fake repository: a folder with NotebookSsl.sln).</summary>
    public static (int ExitCode, string Log) RunIn(string? workingDirectory, params string[] args)
    {
        using var p = StartIn(workingDirectory, args);
        return Finish(p);
    }

    static (int ExitCode, string Log) Finish(Process p)
    {
        var log = new StringBuilder();
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(entireProcessTree: true); throw new TimeoutException("nbssl ran over 5 minutes"); }
        log.Append(output.Result).Append(err.Result);
        return (p.ExitCode, log.ToString());
    }

    public static JsonObject ReadNotebook(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    public static JsonArray Cells(JsonObject nb) => nb["cells"]!.AsArray();

    public static JsonArray Outputs(JsonObject nb, int cellIndex) => Cells(nb)[cellIndex]!["outputs"]!.AsArray();

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonArray a => string.Concat(a.Select(x => x!.GetValue<string>())),
        _ => node.GetValue<string>(),
    };

    /// <summary>All stream text of a cell's outputs for one stream name.</summary>
    public static string Stream(JsonObject nb, int cellIndex, string name = "stdout") =>
        string.Concat(Outputs(nb, cellIndex).Where(o => o!["output_type"]!.GetValue<string>() == "stream" && o["name"]!.GetValue<string>() == name)
            .Select(o => Text(o!["text"])));

    public static int CellIndexContaining(JsonObject nb, string sourceFragment) =>
        Cells(nb).Select((c, i) => (c, i)).First(x => Text(x.c!["source"]).Contains(sourceFragment)).i;

    /// <summary>Checks the nbformat 4 structure (the parts GitHub and Jupyter rely on) and the Polyglot metadata VS Code writes.</summary>
    public static void AssertValidPolyglotNotebook(JsonObject nb)
    {
        Assert.Equal(4, nb["nbformat"]!.GetValue<int>());
        // nbformat 4.0–4.5; cell ids exist from 4.5 on, and Jupyter rejects them in an older notebook
        int minor = nb["nbformat_minor"]!.GetValue<int>();
        Assert.InRange(minor, 0, 5);
        if (Cells(nb).Any(c => c!["id"] is not null)) Assert.True(minor >= 5, $"cells carry ids but nbformat_minor is {minor}");
        var meta = nb["metadata"]!.AsObject();
        Assert.StartsWith(".net-", meta["kernelspec"]!["name"]!.GetValue<string>());
        Assert.NotNull(meta["kernelspec"]!["display_name"]);
        Assert.Equal("polyglot-notebook", meta["language_info"]!["name"]!.GetValue<string>());
        var kernelInfo = meta["polyglot_notebook"]!["kernelInfo"]!;
        Assert.NotNull(kernelInfo["defaultKernelName"]);
        Assert.Contains(kernelInfo["items"]!.AsArray(), i => i!["name"]!.GetValue<string>() == "csharp");
        foreach (var c in Cells(nb))
        {
            var cell = c!.AsObject();
            var type = cell["cell_type"]!.GetValue<string>();
            Assert.Contains(type, new[] { "code", "markdown", "raw" });
            Assert.IsType<JsonObject>(cell["metadata"]);
            Assert.All(cell["source"]!.AsArray(), s => Assert.NotNull(s!.GetValue<string>()));
            if (type != "code") { Assert.Null(cell["outputs"]); continue; }
            Assert.True(cell.ContainsKey("execution_count"));
            var kernel = cell["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>();
            Assert.Equal(kernel, cell["metadata"]!["dotnet_interactive"]!["language"]!.GetValue<string>());
            foreach (var o in cell["outputs"]!.AsArray())
            {
                var output = o!.AsObject();
                switch (output["output_type"]!.GetValue<string>())
                {
                    case "stream":
                        Assert.Contains(output["name"]!.GetValue<string>(), new[] { "stdout", "stderr" });
                        Assert.NotNull(output["text"]);
                        break;
                    case "display_data":
                        Assert.IsType<JsonObject>(output["data"]);
                        Assert.IsType<JsonObject>(output["metadata"]);
                        break;
                    case "execute_result":
                        Assert.IsType<JsonObject>(output["data"]);
                        Assert.IsType<JsonObject>(output["metadata"]);
                        Assert.Equal(cell["execution_count"]!.GetValue<int>(), output["execution_count"]!.GetValue<int>());
                        break;
                    case "error":
                        Assert.NotNull(output["ename"]!.GetValue<string>());
                        Assert.NotNull(output["evalue"]!.GetValue<string>());
                        Assert.All(output["traceback"]!.AsArray(), t => Assert.NotNull(t!.GetValue<string>()));
                        break;
                    default:
                        Assert.Fail($"unknown output_type {output["output_type"]}");
                        break;
                }
            }
        }
    }

    /// <summary>No temporary or partial files were left next to the outputs.</summary>
    public static void AssertNothingHalfWritten(string outDir)
    {
        var stray = Directory.GetFiles(outDir).Where(f => !f.EndsWith(".ipynb") && !f.EndsWith(".html")).ToList();
        Assert.Empty(stray);
        foreach (var f in Directory.GetFiles(outDir, "*.ipynb")) JsonNode.Parse(File.ReadAllText(f));
        foreach (var f in Directory.GetFiles(outDir, "*.html")) Assert.EndsWith("</html>\n", File.ReadAllText(f));
    }
}
