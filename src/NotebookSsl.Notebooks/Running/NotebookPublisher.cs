using NotebookSsl.Notebooks.Display;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Parameters;
using NotebookSsl.Notebooks.Reports;
using NotebookSsl.Runs;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// <c>nbssl publish</c>: runs a notebook from its source (the <c>.dib</c>, converted as <c>nbssl convert</c> does) at
/// size <c>quick</c> into a staging folder, and only when it ran to the end writes the executed notebook over the
/// committed <c>.ipynb</c> (its <c>injected-parameters</c> cell states the size) and its report into the reports
/// folder, then rewrites the folder's gallery (<see cref="Gallery"/>). The reports of a folder share one plotly.js
/// beside them instead of embedding a copy each. A failed run leaves the committed files as they were.
/// </summary>
internal static class NotebookPublisher
{
    public const string DefaultSize = "quick";

    /// <summary>The plotly.js file the reports of a folder share.</summary>
    public static string PlotlyFileName => $"plotly-{PlotlyHtml.PlotlyJsVersion}.min.js";

    /// <summary>Exit code 0 when every notebook was published, 1 otherwise; bad usage throws ArgumentException (exit 2).</summary>
    /// <param name="notebooks">The notebooks (.dib or .ipynb), all of one folder.</param>
    /// <param name="reportsDir">Where the reports, their plotly.js and the gallery go.</param>
    /// <param name="options">How to run; its <see cref="RunOptions.OutputDirectory"/> is the staging folder (a failed run's files stay there).</param>
    public static int Publish(IReadOnlyList<string> notebooks, RunOptions options, string reportsDir)
    {
        if (notebooks.Count == 0) throw new ArgumentException("publish needs at least one notebook");
        var log = options.Log;
        var sources = notebooks.Select(SourceOf).ToList();
        var folder = OneFolder(sources);
        EnsureWritable(options.OutputDirectory, "--out");
        EnsureWritable(reportsDir, "--reports");
        WorkFolders.RemoveOrphans();

        // read and parameterise every notebook before any runs: a typo in --param is a usage error, not a failure later
        List<(IReadOnlyList<KeyValuePair<string, string>> Parameters, PreparedNotebook Notebook)> prepared;
        try
        {
            prepared = sources.Select(s => (Parameters: WithSize(s, options.Parameters), Source: s))
                .Select(x => (x.Parameters, NotebookRunner.Prepare(x.Source, Source(x.Source), x.Parameters))).ToList();
        }
        catch (InvalidNotebookException e) { throw new InvalidDataException(e.Message, e); }   // exit 1, naming the file
        int failed = 0;
        foreach (var (parameters, notebook) in prepared)
        {
            var name = Path.GetFileNameWithoutExtension(notebook.Path);
            var target = Path.ChangeExtension(Path.GetFullPath(notebook.Path), ".ipynb");
            var report = Path.Combine(Path.GetFullPath(reportsDir), name + ".html");
            NotebookRunResult result;
            try { result = NotebookRunner.Run(notebook, options with { Parameters = parameters }, name); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.WriteLine($"nbssl: {notebook.Path}: {e.Message}; not published, {target} is unchanged");
                failed++;
                continue;
            }
            if (!result.Succeeded)
            {
                log.WriteLine($"nbssl: {notebook.Path}: not published (the run failed); {target} and {report} are unchanged; the failed run is {result.HtmlPath}");
                failed++;
                continue;
            }
            var executed = File.ReadAllText(result.IpynbPath);
            AtomicFile.WriteAllText(target, executed);
            WriteReport(executed, report, reportsDir);
            log.WriteLine($"nbssl: published {notebook.Path} -> {target}, {report}");
        }
        WriteGallery(folder, reportsDir, log);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// <c>nbssl publish --reports-only</c>: redraws each notebook's report, and the gallery, from its committed executed
    /// .ipynb without running it (after a prose edit that <c>nbssl convert</c> carried into the published notebook).
    /// A notebook without a published run, or whose code no longer matches its .dib, is refused by name. Exit code 0
    /// when every report was redrawn, 1 otherwise.
    /// </summary>
    public static int RedrawReports(IReadOnlyList<string> notebooks, string reportsDir, TextWriter log)
    {
        if (notebooks.Count == 0) throw new ArgumentException("publish needs at least one notebook");
        var folder = OneFolder(notebooks.Select(SourceOf).ToList());
        EnsureWritable(reportsDir, "--reports");
        int failed = 0;
        foreach (var notebook in notebooks)
        {
            var ipynb = Path.ChangeExtension(Path.GetFullPath(notebook), ".ipynb");
            var dib = Path.ChangeExtension(ipynb, ".dib");
            var name = Path.GetFileNameWithoutExtension(ipynb);
            var text = File.Exists(ipynb) ? NotebookDocument.ReadText(ipynb) : null;
            string? problem = text is null ? $"{ipynb} does not exist"
                : !NotebookConversion.HasOutputs(text) ? $"{ipynb} has no published run (nbssl publish {notebook})"
                : File.Exists(dib) && !NotebookConversion.SourcesMatch(NotebookDocument.ReadText(dib), text)
                    ? $"{ipynb} is not its .dib's source (nbssl convert {dib} carries a prose edit; a code edit needs nbssl publish)"
                : null;
            if (problem is not null)
            {
                log.WriteLine($"nbssl: {notebook}: report not redrawn: {problem}");
                failed++;
                continue;
            }
            var report = Path.Combine(Path.GetFullPath(reportsDir), name + ".html");
            WriteReport(text!, report, reportsDir);
            log.WriteLine($"nbssl: redrew {report} from {ipynb}");
        }
        WriteGallery(folder, reportsDir, log);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The one folder the notebooks are in (their gallery is that folder's); notebooks of two folders are a usage error.</summary>
    static string OneFolder(IReadOnlyList<string> sources)
    {
        var folders = sources.Select(s => Path.GetDirectoryName(Path.GetFullPath(s))!).Distinct().ToList();
        if (folders.Count > 1)
            throw new ArgumentException($"publish takes notebooks of one folder (their gallery is that folder's); got {string.Join(" and ", folders)}");
        return folders[0];
    }

    static void EnsureWritable(string folder, string option)
    {
        try { OutputFolder.EnsureWritable(folder, option); }
        catch (IOException e) { throw new ArgumentException(e.Message, e); }
    }

    /// <summary>An executed notebook's report, loading the plotly.js beside it (written once per folder).</summary>
    static void WriteReport(string executedIpynb, string report, string reportsDir)
    {
        WritePlotly(reportsDir);
        AtomicFile.WriteAllText(report, HtmlReport.Render(Ipynb.Read(executedIpynb), Path.GetFileNameWithoutExtension(report), plotlyScript: PlotlyFileName));
    }

    /// <summary>The folder's gallery, rewritten from its notebooks and their reports.</summary>
    static void WriteGallery(string folder, string reportsDir, TextWriter log)
    {
        var index = Path.Combine(reportsDir, Gallery.FileName);
        AtomicFile.WriteAllText(index, Gallery.Render(Gallery.Entries(folder, reportsDir), folder, Path.GetFullPath(reportsDir)));
        log.WriteLine($"nbssl: gallery -> {index}");
    }

    /// <summary>The notebook's source: the .dib beside an .ipynb when there is one, else the file itself.</summary>
    internal static string SourceOf(string notebook)
    {
        if (!File.Exists(notebook)) throw new ArgumentException($"notebook not found: {notebook}");
        var dib = Path.ChangeExtension(notebook, ".dib");
        return File.Exists(dib) ? dib : notebook;
    }

    /// <summary>The document to run: a .dib as `nbssl convert` writes it (kernelspec, #!fsharp lines); an .ipynb without what a run added.</summary>
    static NotebookDocument Source(string path)
    {
        var text = NotebookDocument.ReadText(path);
        try
        {
            return Ipynb.Read(Path.GetExtension(path).Equals(".dib", StringComparison.OrdinalIgnoreCase)
                ? NotebookConversion.DibToIpynb(text)
                : NotebookConversion.SourceOf(text));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidNotebookException(path, e.Message, e);
        }
    }

    /// <summary>The overrides with size=quick added when the notebook declares a size and none was given.</summary>
    static IReadOnlyList<KeyValuePair<string, string>> WithSize(string path, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        if (parameters.Any(p => p.Key == "size")) return parameters;
        var cell = Source(path).Cells.FirstOrDefault(c => c.Kind == CellKind.Code && c.HasTag(NotebookParameters.ParametersTag));
        if (cell is null || NotebookParameters.Parse(cell.Source, NotebookParameters.EffectiveLanguage(cell)).All(p => p.Name != "size"))
            return parameters;
        return [.. parameters, KeyValuePair.Create("size", DefaultSize)];
    }

    /// <summary>plotly.js beside the reports, once per folder (rewritten only when missing or different).</summary>
    static void WritePlotly(string reportsDir)
    {
        var path = Path.Combine(reportsDir, PlotlyFileName);
        if (!File.Exists(path) || File.ReadAllText(path) != PlotlyHtml.PlotlyJs) AtomicFile.WriteAllText(path, PlotlyHtml.PlotlyJs);
    }
}
