using System.Diagnostics;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>The executed notebooks against Jupyter's own nbformat schema (Debian's python3-nbformat), when installed.</summary>
[Collection(NbsslRuns.Name)]
public sealed class NbformatTests(FeaturesRun features, FailuresRun failures, RejectedRun rejected)
{
    const string Python = "/usr/bin/python3";

    static (int Code, string Output) Python3(params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    [SkippableFact]
    public void Executed_notebooks_validate_against_the_nbformat_schema()
    {
        Skip.IfNot(File.Exists(Python) && Python3("-c", "import nbformat").Code == 0,
            "python3-nbformat is not installed (apt-get install -y python3-nbformat); the structural checks in the other tests still run");
        var files = new[] { Path.Combine(features.OutDir, "features.ipynb"), Path.Combine(rejected.OutDir, "rejected.ipynb") }
            .Concat(Directory.GetFiles(failures.OutDir, "*.ipynb")).ToList();
        Assert.Equal(5, files.Count);
        const string script = "import sys, nbformat\nfor f in sys.argv[1:]:\n    nbformat.validate(nbformat.read(f, as_version=nbformat.NO_CONVERT))\n    print('valid', f)";
        var (code, output) = Python3(["-c", script, .. files]);
        Assert.True(code == 0, output);
        Assert.Equal(files.Count, output.Split('\n').Count(l => l.StartsWith("valid ")));
    }
}
