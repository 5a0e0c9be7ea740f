using System.Text;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>What a cell holds: code to run, markdown to render, or raw text kept as is.</summary>
internal enum CellKind { Code, Markdown, Raw }

/// <summary>One notebook cell. Outputs are nbformat 4 output objects.</summary>
internal sealed class NotebookCell
{
    public CellKind Kind { get; set; }
    /// <summary>Polyglot kernel name of a code cell: "csharp", "fsharp", or what the notebook said.</summary>
    public string Language { get; set; } = "csharp";
    public string Source { get; set; } = "";
    public JsonObject Metadata { get; set; } = new();
    public JsonArray Outputs { get; set; } = new();
    public int? ExecutionCount { get; set; }
    public string? Id { get; set; }

    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.Select(t => t?.GetValue<string>() ?? "").ToList() : [];

    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    public void AddTag(string tag)
    {
        if (Metadata["tags"] is not JsonArray tags) Metadata["tags"] = tags = new JsonArray();
        if (!HasTag(tag)) tags.Add(tag);
    }
}

/// <summary>An in-memory notebook, read from .ipynb or .dib, written as a Polyglot .ipynb.</summary>
internal sealed class NotebookDocument
{
    public List<NotebookCell> Cells { get; } = new();
    public JsonObject Metadata { get; set; } = new();
    public int NbformatMinor { get; set; } = 2;
    /// <summary>Kernel a cell without its own kernel name runs in.</summary>
    public string DefaultKernel { get; set; } = "csharp";

    /// <summary>Reads a notebook by its extension (.ipynb or .dib).</summary>
    public static NotebookDocument Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"notebook not found: {path}", path);
        var text = ReadText(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".ipynb" => Ipynb.Read(text),
            ".dib" => Dib.Read(text),
            var ext => throw new ArgumentException($"unsupported notebook format '{ext}' ({path}): expected .ipynb or .dib"),
        };
    }

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// A notebook file's text, which must be UTF-8 (nbformat says so; a .dib is read the same way): bytes that are
    /// not are refused with the file and the byte offset, instead of becoming U+FFFD in code that then runs.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8.</exception>
    internal static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;   // a byte-order mark is allowed
        try { return StrictUtf8.GetString(bytes, start, bytes.Length - start); }
        catch (DecoderFallbackException e)
        {
            long offset = start + Math.Max(0, e.Index);
            var bad = string.Join(" ", (e.BytesUnknown ?? []).Select(b => $"0x{b:X2}"));
            throw new InvalidDataException($"{path} is not valid UTF-8: byte {bad} at offset {offset}; save the notebook as UTF-8.", e);
        }
    }
}
