using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>features.ipynb run once (C#, F#, shares, formatters, display/Update, parameters) for many checks.</summary>
public sealed class FeaturesRun : IDisposable
{
    public const int Epochs = 3;
    public string OutDir { get; } = Nbssl.NewOutDir();
    public int ExitCode { get; }
    public string Log { get; }
    public JsonObject Notebook { get; }
    public string Html { get; }
    public string HtmlPath => Path.Combine(OutDir, "features.html");

    public FeaturesRun()
    {
        (ExitCode, Log) = Nbssl.Run("run", Nbssl.Sample("features.ipynb"), "--param", $"epochs={Epochs}", "--param", "size=quick", "--out", OutDir);
        Notebook = Nbssl.ReadNotebook(Path.Combine(OutDir, "features.ipynb"));
        Html = File.ReadAllText(HtmlPath);
    }

    public void Dispose() => Nbssl.Delete(OutDir);
}

/// <summary>Three failing notebooks in one `nbssl run` (compile error, F# runtime exception, native abort).</summary>
public sealed class FailuresRun : IDisposable
{
    public string OutDir { get; } = Nbssl.NewOutDir();
    public int ExitCode { get; }
    public string Log { get; }

    public FailuresRun()
    {
        (ExitCode, Log) = Nbssl.Run("run", Nbssl.Sample("compile-error.ipynb"), Nbssl.Sample("runtime-error.dib"),
            Nbssl.Sample("abort.ipynb"), "--out", OutDir);
    }

    public JsonObject Notebook(string name) => Nbssl.ReadNotebook(Path.Combine(OutDir, name + ".ipynb"));
    public void Dispose() => Nbssl.Delete(OutDir);
    public string Html(string name) => File.ReadAllText(Path.Combine(OutDir, name + ".html"));
}

/// <summary>rejected.dib: a .dib with a parameters cell, an accepted and a rejected #r "nuget:".</summary>
public sealed class RejectedRun : IDisposable
{
    public string OutDir { get; } = Nbssl.NewOutDir();
    public int ExitCode { get; }
    public string Log { get; }

    public RejectedRun()
    {
        (ExitCode, Log) = Nbssl.Run("run", Nbssl.Sample("rejected.dib"), "--param", "greeting=hi \"there\"", "--out", OutDir);
    }

    public JsonObject Notebook => Nbssl.ReadNotebook(Path.Combine(OutDir, "rejected.ipynb"));
    public void Dispose() => Nbssl.Delete(OutDir);
}

/// <summary>The end-to-end runs share one collection: they run one after another, each once.</summary>
[CollectionDefinition(Name)]
public sealed class NbsslRuns : ICollectionFixture<FeaturesRun>, ICollectionFixture<FailuresRun>, ICollectionFixture<RejectedRun>
{
    public const string Name = "nbssl end-to-end runs";
}
