using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Documents;

/// <summary>Polyglot Notebooks conventions: kernel names and the metadata VS Code writes.</summary>
internal static class Polyglot
{
    /// <summary>Normalizes a kernel or language name ("C#", "csharp", "f#"...) to the Polyglot kernel name.</summary>
    public static string NormalizeKernel(string name) => name.Trim().ToLowerInvariant() switch
    {
        "csharp" or "c#" or "cs" => "csharp",
        "fsharp" or "f#" or "fs" => "fsharp",
        "markdown" or "md" => "markdown",
        var other => other,
    };

    /// <summary>Kernel name from a `#!name` first line, or null when the line is not a kernel selector.</summary>
    public static string? KernelFromMagic(string firstLine)
    {
        var t = firstLine.Trim();
        if (!t.StartsWith("#!")) return null;
        var k = NormalizeKernel(t[2..]);
        return k is "csharp" or "fsharp" or "markdown" ? k : null;
    }

    public static JsonObject NotebookMetadata(string defaultKernel, IEnumerable<string> kernels)
    {
        var items = new JsonArray();
        foreach (var k in kernels.Prepend("csharp").Distinct())
        {
            var item = new JsonObject { ["aliases"] = new JsonArray() };
            if (k != "csharp") item["languageName"] = k switch { "fsharp" => "F#", "markdown" => "Markdown", _ => k };
            else item["languageName"] = "C#";
            item["name"] = k;
            items.Add(item);
        }
        return new JsonObject
        {
            ["kernelspec"] = defaultKernel == "fsharp"
                ? new JsonObject { ["display_name"] = ".NET (F#)", ["language"] = "F#", ["name"] = ".net-fsharp" }
                : new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
            ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
            ["polyglot_notebook"] = new JsonObject
            {
                ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = defaultKernel, ["items"] = items },
            },
        };
    }

    public static void SetCellKernel(JsonObject cellMetadata, string kernel)
    {
        cellMetadata["dotnet_interactive"] = new JsonObject { ["language"] = kernel };
        cellMetadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = kernel };
    }
}
