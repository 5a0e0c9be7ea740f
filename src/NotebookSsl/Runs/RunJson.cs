using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookSsl.Runs;

/// <summary>
/// The project's one set of JSON options, for run keys, stored metrics, results files and the
/// environment record: enums by name, NaN and ±∞ allowed (a diverged loss is still written), fields
/// included (tuples and records with fields).
/// </summary>
public static class RunJson
{
    /// <summary>Compact: what <see cref="RunKey"/> hashes.</summary>
    public static JsonSerializerOptions Options { get; } = Freeze(new JsonSerializerOptions
    {
        WriteIndented = false,
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    });

    /// <summary>The same, indented: what files a person may read are written with.</summary>
    public static JsonSerializerOptions Indented { get; } = Freeze(new JsonSerializerOptions(Options) { WriteIndented = true });

    static JsonSerializerOptions Freeze(JsonSerializerOptions options)
    {
        options.TypeInfoResolver ??= new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
