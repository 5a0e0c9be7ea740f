using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>
/// Reads Polyglot .dib files: an optional `#!meta` JSON header, then cells that each start with a kernel
/// line (`#!csharp`, `#!fsharp`, `#!markdown`...). .dib has no cell metadata, so a code cell whose first
/// line is a comment starting with the word parameters (`// parameters`, `// Parameters (...)`) is the parameters cell.
/// </summary>
internal static class Dib
{
    static readonly HashSet<string> CellKernels = new(StringComparer.OrdinalIgnoreCase)
    {
        "meta", "csharp", "c#", "fsharp", "f#", "markdown", "md", "pwsh", "powershell", "javascript", "js",
        "html", "mermaid", "sql", "kql", "value", "http",
    };

    public static NotebookDocument Read(string text)
    {
        var doc = new NotebookDocument();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        string? kernel = null;
        var body = new List<string>();
        var preamble = new List<string>();

        void Flush()
        {
            if (kernel is null)
            {
                if (preamble.Any(l => l.Trim().Length > 0)) AddCell(doc, doc.DefaultKernel, preamble);
                return;
            }
            if (kernel == "meta")
            {
                var json = string.Join("\n", body).Trim();
                if (json.Length > 0)
                {
                    try
                    {
                        var meta = JsonNode.Parse(json) as JsonObject ?? new JsonObject();
                        doc.Metadata["polyglot_notebook"] = meta;
                        var def = meta["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
                        if (def is not null) doc.DefaultKernel = Polyglot.NormalizeKernel(def);
                    }
                    catch (JsonException e) { throw new ArgumentException($"the .dib #!meta block is not valid JSON: {e.Message}", e); }
                }
            }
            else AddCell(doc, kernel, body);
        }

        foreach (var line in lines)
        {
            var t = line.TrimEnd();
            if (t.StartsWith("#!") && !t.Contains(' ') && CellKernels.Contains(t[2..]))
            {
                Flush();
                kernel = Polyglot.NormalizeKernel(t[2..]);
                body = new List<string>();
                continue;
            }
            (kernel is null ? preamble : body).Add(line);
        }
        Flush();
        return doc;
    }

    /// <summary>A first line that marks the parameters cell: a comment starting with the word "parameters" (any case).</summary>
    public static bool IsParametersMarker(string line) =>
        System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*(//|\(\*)\s*parameters\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    static void AddCell(NotebookDocument doc, string kernel, List<string> body)
    {
        int a = 0, b = body.Count;
        while (a < b && body[a].Trim().Length == 0) a++;
        while (b > a && body[b - 1].Trim().Length == 0) b--;
        var source = string.Join("\n", body.Skip(a).Take(b - a));
        var cell = new NotebookCell { Source = source, Language = kernel };
        if (kernel == "markdown") cell.Kind = CellKind.Markdown;
        else
        {
            cell.Kind = CellKind.Code;
            if (IsParametersMarker(source.Split('\n')[0])) cell.AddTag("parameters");
        }
        doc.Cells.Add(cell);
    }

    /// <summary>
    /// Writes a notebook as Polyglot writes a .dib: a <c>#!meta</c> header with the kernel info, then each
    /// cell as its kernel line, a blank line, its source and a blank line. Outputs and cell metadata other
    /// than the parameters tag (a <c>// parameters</c> first line) are not kept.
    /// </summary>
    public static string Write(NotebookDocument doc)
    {
        var sb = new System.Text.StringBuilder();
        var kernels = doc.Cells.Where(c => c.Kind == CellKind.Code).Select(c => c.Language).Distinct();
        var meta = doc.Metadata["polyglot_notebook"]?.DeepClone() as JsonObject
            ?? (JsonObject)Polyglot.NotebookMetadata(doc.DefaultKernel, kernels)["polyglot_notebook"]!.DeepClone();
        sb.Append("#!meta\n\n").Append(meta.ToJsonString()).Append("\n\n");
        foreach (var cell in doc.Cells)
        {
            var source = cell.Source.Replace("\r\n", "\n");
            var kernel = cell.Kind switch { CellKind.Markdown => "markdown", CellKind.Code => cell.Language, _ => "markdown" };
            var lines = source.Split('\n');
            if (cell.Kind == CellKind.Code && Polyglot.KernelFromMagic(lines[0]) is { } magic)
            {
                kernel = magic;
                source = string.Join("\n", lines.Skip(1)).TrimStart('\n');
            }
            if (cell.Kind == CellKind.Code && cell.HasTag("parameters") && !IsParametersMarker(source.Split('\n')[0]))
                source = "// parameters\n" + source;
            sb.Append("#!").Append(kernel).Append("\n\n").Append(source.TrimEnd('\n')).Append("\n\n");
        }
        return sb.ToString().TrimEnd('\n') + "\n";
    }
}
