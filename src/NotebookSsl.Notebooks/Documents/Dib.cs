using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>
/// Reads Polyglot .dib files: an optional `#!meta` JSON header, then cells that each start with a kernel
/// line (`#!csharp`, `#!fsharp`, `#!markdown`...). .dib has no cell metadata, so a code cell whose first
/// line is the comment `// parameters` is the parameters cell.
/// </summary>
public static class Dib
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
            var first = source.Split('\n')[0].Trim();
            if (first is "// parameters" or "(* parameters *)") cell.AddTag("parameters");
        }
        doc.Cells.Add(cell);
    }
}
