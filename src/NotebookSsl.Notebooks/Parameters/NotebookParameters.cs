using System.Globalization;
using System.Text.RegularExpressions;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Parameters;

/// <summary>The kind of literal a parameter was declared with; overrides are typed by it.</summary>
public enum ParameterKind { String, Int, Long, Double, Float, Decimal, Bool, Other }

/// <summary>A parameter found in the parameters cell: `var name = literal;`, `const T name = literal;`, `let name = literal`.</summary>
public sealed record DeclaredParameter(string Name, string Literal, ParameterKind Kind, string? DeclaredType);

/// <summary>
/// Papermill-style parameters: the cell tagged "parameters" declares defaults; overrides go into a new cell
/// right after it, tagged "injected-parameters", in the same language.
/// </summary>
public static partial class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    [GeneratedRegex(@"^\s*(?:(?:const|static|readonly|public|private)\s+)*(?:(?<type>[A-Za-z_][\w.<>?\[\]]*)\s+)(?<name>[A-Za-z_]\w*)\s*=\s*(?<lit>.+?)\s*;\s*(?://.*)?$")]
    private static partial Regex CSharpDeclaration();

    [GeneratedRegex(@"^\s*let\s+(?:mutable\s+)?(?<name>[A-Za-z_]\w*)\s*(?::\s*(?<type>[\w.<>\[\]]+))?\s*=\s*(?<lit>.+?)\s*(?://.*)?$")]
    private static partial Regex FSharpDeclaration();

    /// <summary>The parameters a cell declares, in order.</summary>
    public static IReadOnlyList<DeclaredParameter> Parse(string source, string language)
    {
        var list = new List<DeclaredParameter>();
        var regex = language == "fsharp" ? FSharpDeclaration() : CSharpDeclaration();
        foreach (var raw in source.Replace("\r\n", "\n").Split('\n'))
        {
            var m = regex.Match(raw);
            if (!m.Success) continue;
            var type = m.Groups["type"].Success ? m.Groups["type"].Value : null;
            if (type == "var") type = null;
            var lit = m.Groups["lit"].Value;
            list.Add(new DeclaredParameter(m.Groups["name"].Value, lit, KindOfType(type, language) ?? KindOf(lit), type));
        }
        return list;
    }

    /// <summary>The kind a declared type implies (C# float is single precision, F# float is double), or null.</summary>
    public static ParameterKind? KindOfType(string? type, string language) => type switch
    {
        null => null,
        "string" or "String" or "System.String" => ParameterKind.String,
        "int" or "Int32" or "System.Int32" => ParameterKind.Int,
        "long" or "int64" or "Int64" or "System.Int64" => ParameterKind.Long,
        "bool" or "Boolean" or "System.Boolean" => ParameterKind.Bool,
        "double" or "Double" or "System.Double" => ParameterKind.Double,
        "float" => language == "fsharp" ? ParameterKind.Double : ParameterKind.Float,
        "float32" or "single" or "Single" or "System.Single" => ParameterKind.Float,
        "decimal" or "Decimal" or "System.Decimal" => ParameterKind.Decimal,
        _ => null,
    };

    public static ParameterKind KindOf(string literal)
    {
        var l = literal.Trim();
        if (l.StartsWith('"') || l.StartsWith("@\"")) return ParameterKind.String;
        if (l is "true" or "false") return ParameterKind.Bool;
        if (Regex.IsMatch(l, @"^-?\d+$")) return ParameterKind.Int;
        if (Regex.IsMatch(l, @"^-?\d+[lL]$")) return ParameterKind.Long;
        if (Regex.IsMatch(l, @"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fF]$")) return ParameterKind.Float;
        if (Regex.IsMatch(l, @"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[mM]$")) return ParameterKind.Decimal;
        if (Regex.IsMatch(l, @"^-?(\d+\.\d*|\.\d+|\d+[eE][-+]?\d+|\d+\.\d*[eE][-+]?\d+)[dD]?$")) return ParameterKind.Double;
        return ParameterKind.Other;
    }

    /// <summary>The literal for an override value, typed like the declared default.</summary>
    public static string Literal(string name, string value, ParameterKind kind, string language)
    {
        string Bad(string what) => throw new ArgumentException($"parameter '{name}': '{value}' is not {what}");
        var inv = CultureInfo.InvariantCulture;
        switch (kind)
        {
            case ParameterKind.String:
                return Quote(value);
            case ParameterKind.Bool:
                return bool.TryParse(value, out var b) ? (b ? "true" : "false") : Bad("a bool (true or false)");
            case ParameterKind.Int:
                return int.TryParse(value, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : Bad("an int");
            case ParameterKind.Long:
                return long.TryParse(value, NumberStyles.Integer, inv, out var lg) ? lg.ToString(inv) + "L" : Bad("a long");
            case ParameterKind.Double or ParameterKind.Float or ParameterKind.Decimal:
            {
                if (!double.TryParse(value, NumberStyles.Float, inv, out var d) || !double.IsFinite(d)) return Bad("a number");
                var s = d.ToString("R", inv);
                if (!s.Contains('.') && !s.Contains('E')) s += ".0";
                return kind switch
                {
                    ParameterKind.Float => s + "f",
                    ParameterKind.Decimal => language == "fsharp" ? s + "M" : s + "m",
                    _ => s,
                };
            }
            default:
                return InferLiteral(value);
        }
    }

    /// <summary>A literal for a value whose type is unknown: bool, int, double, else a string.</summary>
    public static string InferLiteral(string value)
    {
        var inv = CultureInfo.InvariantCulture;
        if (value is "true" or "false") return value;
        if (int.TryParse(value, NumberStyles.AllowLeadingSign, inv, out var i)) return i.ToString(inv);
        if (double.TryParse(value, NumberStyles.Float, inv, out var d) && double.IsFinite(d) && value.Any(char.IsDigit))
        {
            var s = d.ToString("R", inv);
            return s.Contains('.') || s.Contains('E') ? s : s + ".0";
        }
        return Quote(value);
    }

    static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (var c in s)
            sb.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Inserts the injected-parameters cell after the parameters cell (or first, when there is none) and
    /// returns it; null when there are no overrides. Warnings (e.g. unknown names) go to <paramref name="warn"/>.
    /// </summary>
    public static NotebookCell? Inject(NotebookDocument doc, IReadOnlyList<KeyValuePair<string, string>> overrides, Action<string>? warn = null)
    {
        if (overrides.Count == 0) return null;
        var index = doc.Cells.FindIndex(c => c.Kind == CellKind.Code && c.HasTag(ParametersTag));
        var language = index >= 0 ? EffectiveLanguage(doc.Cells[index]) : doc.DefaultKernel;
        if (language is not ("csharp" or "fsharp")) language = "csharp";
        var declared = index >= 0 ? Parse(doc.Cells[index].Source, language) : [];
        if (index < 0) warn?.Invoke("the notebook has no cell tagged 'parameters'; the injected parameters cell goes first");

        var lines = new List<string> { "// Parameters (injected by nbssl)" };
        foreach (var (name, value) in overrides)
        {
            if (!Regex.IsMatch(name, @"^[A-Za-z_]\w*$")) throw new ArgumentException($"parameter name '{name}' is not an identifier");
            var d = declared.LastOrDefault(p => p.Name == name);
            if (d is null && index >= 0) warn?.Invoke($"parameter '{name}' is not declared in the parameters cell; its type is guessed from '{value}'");
            var literal = d is null ? InferLiteral(value) : Literal(name, value, d.Kind, language);
            var type = d?.DeclaredType;
            lines.Add(language == "fsharp"
                ? (type is null ? $"let {name} = {literal}" : $"let {name} : {type} = {literal}")
                : (type is null ? $"var {name} = {literal};" : $"{type} {name} = {literal};"));
        }
        var cell = new NotebookCell { Kind = CellKind.Code, Language = language, Source = string.Join("\n", lines) };
        cell.AddTag(InjectedTag);
        doc.Cells.Insert(index + 1, cell);
        return cell;
    }

    /// <summary>The language a code cell runs in: its `#!csharp`/`#!fsharp` first line, else its kernel name.</summary>
    public static string EffectiveLanguage(NotebookCell cell)
    {
        var first = cell.Source.Split('\n')[0];
        return Polyglot.KernelFromMagic(first) ?? cell.Language;
    }
}
