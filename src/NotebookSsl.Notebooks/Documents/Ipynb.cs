using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>Reads and writes nbformat 4 notebooks with Polyglot Notebooks metadata.</summary>
internal static class Ipynb
{
    static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 1,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static NotebookDocument Read(string json)
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("an .ipynb must hold a JSON object"); }
        catch (JsonException e) { throw new ArgumentException($"not a valid .ipynb (JSON error: {e.Message})", e); }
        var major = root["nbformat"]?.GetValue<int>() ?? 0;
        if (major != 4) throw new ArgumentException($"unsupported nbformat {major}: nbssl reads nbformat 4 notebooks");
        var doc = new NotebookDocument
        {
            NbformatMinor = root["nbformat_minor"]?.GetValue<int>() ?? 2,
            Metadata = root["metadata"]?.DeepClone() as JsonObject ?? new JsonObject(),
        };
        doc.DefaultKernel = DefaultKernelOf(doc.Metadata);
        if (root["cells"] is not JsonArray cells) throw new ArgumentException("an .ipynb must have a 'cells' array");
        foreach (var node in cells)
        {
            if (node is not JsonObject c) continue;
            var type = c["cell_type"]?.GetValue<string>() ?? "code";
            var cell = new NotebookCell
            {
                Kind = type switch { "code" => CellKind.Code, "markdown" => CellKind.Markdown, _ => CellKind.Raw },
                Source = JoinText(c["source"]),
                Metadata = c["metadata"]?.DeepClone() as JsonObject ?? new JsonObject(),
                Id = c["id"]?.GetValue<string>(),
            };
            if (cell.Kind == CellKind.Code)
            {
                cell.Language = Polyglot.NormalizeKernel(
                    cell.Metadata["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
                    ?? cell.Metadata["dotnet_interactive"]?["language"]?.GetValue<string>()
                    ?? doc.DefaultKernel);
                if (cell.Language == "markdown") cell.Kind = CellKind.Markdown;
                cell.Outputs = c["outputs"]?.DeepClone() as JsonArray ?? new JsonArray();
                cell.ExecutionCount = c["execution_count"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
            }
            else cell.Language = type == "markdown" ? "markdown" : "raw";
            doc.Cells.Add(cell);
        }
        return doc;
    }

    static string DefaultKernelOf(JsonObject metadata)
    {
        var fromPolyglot = metadata["polyglot_notebook"]?["kernelInfo"]?["defaultKernelName"]?.GetValue<string>();
        if (fromPolyglot is not null) return Polyglot.NormalizeKernel(fromPolyglot);
        var spec = metadata["kernelspec"]?["name"]?.GetValue<string>() ?? "";
        return spec.Contains("fsharp", StringComparison.OrdinalIgnoreCase) ? "fsharp" : "csharp";
    }

    /// <summary>nbformat "multiline strings" are a string or an array of strings.</summary>
    public static string JoinText(JsonNode? node) => node switch
    {
        null => "",
        JsonArray a => string.Concat(a.Select(x => x?.GetValue<string>() ?? "")),
        JsonValue v => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Splits text into nbformat's list of lines, each but the last keeping its "\n".</summary>
    public static JsonArray SplitLines(string text)
    {
        var a = new JsonArray();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
            if (text[i] == '\n') { a.Add(text[start..(i + 1)]); start = i + 1; }
        if (start < text.Length) a.Add(text[start..]);
        return a;
    }

    public static string Write(NotebookDocument doc)
    {
        var meta = doc.Metadata.DeepClone().AsObject();
        var kernels = doc.Cells.Where(c => c.Kind == CellKind.Code).Select(c => c.Language).Distinct().ToList();
        var polyglot = Polyglot.NotebookMetadata(doc.DefaultKernel, kernels);
        foreach (var (key, value) in polyglot)
            if (meta[key] is null) meta[key] = value!.DeepClone();
        if (meta["polyglot_notebook"]?["kernelInfo"]?["items"] is JsonArray items)
        {
            // a cell may now run a kernel the header did not list (a converted .dib, an injected cell)
            var listed = items.Select(i => i?["name"]?.GetValue<string>()).ToHashSet();
            foreach (var item in (JsonArray)polyglot["polyglot_notebook"]!["kernelInfo"]!["items"]!)
                if (!listed.Contains(item!["name"]!.GetValue<string>())) items.Add(item.DeepClone());
        }

        var cells = new JsonArray();
        foreach (var cell in doc.Cells)
        {
            var o = new JsonObject();
            switch (cell.Kind)
            {
                case CellKind.Code:
                    o["cell_type"] = "code";
                    o["execution_count"] = cell.ExecutionCount is int n ? JsonValue.Create(n) : null;
                    break;
                case CellKind.Markdown:
                    o["cell_type"] = "markdown";
                    break;
                default:
                    o["cell_type"] = "raw";
                    break;
            }
            if (doc.NbformatMinor >= 5) o["id"] = cell.Id ??= Guid.NewGuid().ToString("N")[..8];
            var cm = cell.Metadata.DeepClone().AsObject();
            if (cell.Kind == CellKind.Code) Polyglot.SetCellKernel(cm, cell.Language);
            o["metadata"] = Sorted(cm);
            if (cell.Kind == CellKind.Code)
                o["outputs"] = new JsonArray(cell.Outputs.Select(x => (JsonNode?)Sorted(NormalizeOutput(x!.DeepClone().AsObject()))).ToArray());
            o["source"] = SplitLines(cell.Source);
            cells.Add(o);
        }
        var root = new JsonObject
        {
            ["cells"] = cells,
            ["metadata"] = Sorted(meta),
            ["nbformat"] = 4,
            ["nbformat_minor"] = doc.NbformatMinor,
        };
        return root.ToJsonString(WriteOptions) + "\n";
    }

    static JsonObject NormalizeOutput(JsonObject output)
    {
        if (output["text"] is JsonValue t) output["text"] = SplitLines(t.GetValue<string>());
        if (output["data"] is JsonObject data)
            foreach (var key in data.Select(kv => kv.Key).ToList())
                if ((key.StartsWith("text/") || key is "application/javascript" or "image/svg+xml") && data[key] is JsonValue s)
                    data[key] = SplitLines(s.GetValue<string>());
        if (output["output_type"]?.GetValue<string>() is "display_data" or "execute_result" && output["metadata"] is null)
            output["metadata"] = new JsonObject();
        output.Remove("transient");
        return output;
    }

    /// <summary>Keys in alphabetical order, as Jupyter and VS Code write them (stable diffs).</summary>
    static JsonObject Sorted(JsonObject o)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList())
        {
            o.Remove(key);
            copy[key] = value is JsonObject child && key != "data" ? Sorted(child) : value;
        }
        return copy;
    }
}
