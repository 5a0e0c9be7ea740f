using System.Text;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>
/// The notebook authoring path: a <c>.dib</c> is the source (plain text, diffable, what VS Code's
/// Polyglot extension edits), the committed <c>.ipynb</c> is generated from it without outputs, so GitHub
/// renders it and a Jupyter kernel can run it. The .ipynb keeps the Polyglot metadata (VS Code opens it
/// with the right kernels), names the nbssl kernel, starts every F# cell with <c>#!fsharp</c> (so a
/// kernel that sees only the source knows its language) and tags the parameters cell.
/// </summary>
internal static class NotebookConversion
{
    /// <summary>The Jupyter kernelspec of converted notebooks (the nbssl kernel, C# by default).</summary>
    public static JsonObject KernelSpec() => new()
    {
        ["display_name"] = "C# (nbssl)", ["language"] = "csharp", ["name"] = "nbssl-csharp",
    };

    /// <summary>The Jupyter language_info of converted notebooks.</summary>
    public static JsonObject LanguageInfo() => new()
    {
        ["file_extension"] = ".cs", ["mimetype"] = "text/x-csharp", ["name"] = "csharp", ["pygments_lexer"] = "csharp",
    };

    /// <summary>The .ipynb text for a .dib text (no outputs, no execution counts).</summary>
    public static string DibToIpynb(string dibText)
    {
        var doc = Dib.Read(dibText);
        foreach (var cell in doc.Cells.Where(c => c.Kind == CellKind.Code))
        {
            if (cell.Language == "fsharp" && Polyglot.KernelFromMagic(cell.Source.Split('\n')[0]) is null)
                cell.Source = "#!fsharp\n" + cell.Source;
            cell.Outputs = new JsonArray();
            cell.ExecutionCount = null;
        }
        doc.Metadata["kernelspec"] = KernelSpec();
        doc.Metadata["language_info"] = LanguageInfo();
        return Ipynb.Write(doc);
    }

    /// <summary>
    /// An .ipynb's source: the notebook as <see cref="DibToIpynb"/> writes it, without what a run adds (outputs,
    /// execution counts, cell timings, the run's <c>nbssl</c> metadata, the <c>injected-parameters</c> cell). A
    /// published notebook (<c>nbssl publish</c>) and its unexecuted conversion have the same source.
    /// </summary>
    public static string SourceOf(string ipynbText)
    {
        var doc = Ipynb.Read(ipynbText);
        doc.Cells.RemoveAll(c => c.HasTag(Parameters.NotebookParameters.InjectedTag));
        foreach (var cell in doc.Cells)
        {
            cell.Outputs = new JsonArray();
            cell.ExecutionCount = null;
            cell.Metadata.Remove("execution");
            cell.Metadata.Remove("nbssl");
        }
        doc.Metadata.Remove("nbssl");
        return Ipynb.Write(doc);
    }

    /// <summary>
    /// The published .ipynb <paramref name="publishedText"/> with the prose of <paramref name="convertedText"/> (the .dib's
    /// conversion): its markdown cells' text replaced, every output kept; null when anything but markdown text differs
    /// (a code cell, the cells' order or metadata), since the outputs are then not what the source would give. Prose does
    /// not run, so a prose edit does not make a published run stale.
    /// </summary>
    public static string? WithProse(string publishedText, string convertedText)
    {
        if (ProseBlanked(publishedText) != ProseBlanked(convertedText)) return null;
        var published = Ipynb.Read(publishedText);
        var cells = published.Cells.Where(c => !c.HasTag(Parameters.NotebookParameters.InjectedTag)).ToList();
        var converted = Ipynb.Read(convertedText).Cells;
        if (cells.Count != converted.Count) return null;
        for (int i = 0; i < cells.Count; i++)
            if (cells[i].Kind == CellKind.Markdown) cells[i].Source = converted[i].Source;
        return Ipynb.Write(published);
    }

    // an .ipynb's source with every markdown cell's text emptied: what must match for a prose edit to keep the outputs
    static string ProseBlanked(string ipynbText)
    {
        var doc = Ipynb.Read(SourceOf(ipynbText));
        foreach (var cell in doc.Cells.Where(c => c.Kind == CellKind.Markdown)) cell.Source = "";
        return Ipynb.Write(doc);
    }

    /// <summary>True when the .ipynb text carries outputs of a run (a published notebook).</summary>
    public static bool HasOutputs(string ipynbText) =>
        Ipynb.Read(ipynbText).Cells.Any(c => c.Outputs.Count > 0 || c.ExecutionCount is not null);

    /// <summary>True when the .ipynb text's source is the .dib text's conversion (outputs ignored).</summary>
    public static bool SourcesMatch(string dibText, string ipynbText) =>
        SourceOf(ipynbText) == SourceOf(DibToIpynb(dibText));

    /// <summary>The .dib text for an .ipynb text (outputs dropped; a leading <c>#!fsharp</c> line becomes the cell's header).</summary>
    public static string IpynbToDib(string ipynbText) => Dib.Write(Ipynb.Read(ipynbText));

    /// <summary>What <see cref="Convert"/> did: the path it wrote (or left), and a note when a published run's outputs matter.</summary>
    internal sealed record Converted(string Path, string? Note);

    /// <summary>
    /// Converts by extension: .dib to .ipynb or .ipynb to .dib. An .ipynb target that carries a published run's
    /// outputs (<c>nbssl publish</c>) and already has the .dib's source is left as it is; one whose prose alone differs
    /// gets the new prose and keeps its outputs (<see cref="WithProse"/>); one whose code differs is replaced without
    /// outputs. The note says which (nothing is dropped silently).
    /// </summary>
    public static Converted Convert(string path, string? output = null)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (!File.Exists(path)) throw new FileNotFoundException($"notebook not found: {path}", path);
        var text = NotebookDocument.ReadText(path);
        var (converted, target) = ext switch
        {
            ".dib" => (DibToIpynb(text), Path.ChangeExtension(path, ".ipynb")),
            ".ipynb" => (IpynbToDib(text), Path.ChangeExtension(path, ".dib")),
            _ => throw new ArgumentException($"convert takes a .dib or an .ipynb, got {path}"),
        };
        output ??= target;
        string? note = null;
        if (ext == ".dib" && File.Exists(output) && NotebookDocument.ReadText(output) is var existing && SafeHasOutputs(existing))
        {
            if (SourceOf(existing) == SourceOf(converted))
                return new Converted(output, "already has this source; its published outputs are kept");
            if (WithProse(existing, converted) is { } prose)
            {
                converted = prose;
                note = $"only its prose changed: the outputs of its published run are kept (`nbssl publish --reports-only {path}` redraws its report)";
            }
            else
                note = $"its source changed: the outputs of its published run were dropped (run `nbssl publish {path}` to publish it again)";
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(output)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, converted, new UTF8Encoding(false));
        File.Move(tmp, output, overwrite: true);
        return new Converted(output, note);
    }

    static bool SafeHasOutputs(string ipynbText)
    {
        try { return HasOutputs(ipynbText); }
        catch (ArgumentException) { return false; }   // not a notebook: replaced like any stale file
    }

    static bool SameSource(string ipynbText, string expected)
    {
        if (ipynbText == expected) return true;
        try { return SourceOf(ipynbText) == SourceOf(expected); }
        catch (ArgumentException) { return false; }
    }

    /// <summary>
    /// Every .dib under <paramref name="folder"/> whose .ipynb beside it is missing or differs from its
    /// conversion, outputs aside (as paths relative to the folder); empty when all are up to date.
    /// </summary>
    public static IReadOnlyList<string> Stale(string folder)
    {
        var stale = new List<string>();
        foreach (var dib in Directory.EnumerateFiles(folder, "*.dib", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var ipynb = Path.ChangeExtension(dib, ".ipynb");
            var expected = DibToIpynb(NotebookDocument.ReadText(dib));
            if (!File.Exists(ipynb) || !SameSource(File.ReadAllText(ipynb).Replace("\r\n", "\n"), expected))
                stale.Add(Path.GetRelativePath(folder, ipynb));
        }
        return stale;
    }
}
