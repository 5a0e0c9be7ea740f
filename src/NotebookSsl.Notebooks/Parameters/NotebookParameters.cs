using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Parameters;

/// <summary>The kind of literal a parameter was declared with; overrides are typed by it.</summary>
internal enum ParameterKind { String, Int, Long, Double, Float, Decimal, Bool, Other }

/// <summary>A parameter found in the parameters cell: `var name = literal;`, `const T name = literal;`, `let name = literal`.</summary>
internal sealed record DeclaredParameter(string Name, string Literal, ParameterKind Kind, string? DeclaredType);

/// <summary>
/// Papermill-style parameters: the cell tagged "parameters" declares defaults; overrides go into a new cell
/// right after it, tagged "injected-parameters", in the same language.
/// </summary>
internal static partial class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    [GeneratedRegex(@"^\s*let\s+(?:mutable\s+)?(?<name>[A-Za-z_]\w*)\s*(?::\s*(?<type>[\w.<>\[\]]+))?\s*=\s*(?<lit>.+?)\s*(?://.*)?$")]
    private static partial Regex FSharpDeclaration();

    /// <summary>The parameters a cell declares, in order: C# through Roslyn's syntax tree, F# line by line.</summary>
    public static IReadOnlyList<DeclaredParameter> Parse(string source, string language) =>
        language == "fsharp" ? ParseFSharp(source) : ParseCSharp(source);

    /// <summary>
    /// Top-level variable declarations of a C# script cell (`var size = "smoke";`, `const int epochs = 2;`,
    /// `double lr = 1e-3, wd = 0.05;`), each with its initializer; declarations without one are skipped.
    /// </summary>
    static List<DeclaredParameter> ParseCSharp(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(kind: SourceCodeKind.Script)).GetCompilationUnitRoot();
        var list = new List<DeclaredParameter>();
        foreach (var member in root.Members)
        {
            var declaration = member switch
            {
                FieldDeclarationSyntax f => f.Declaration,
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax l } => l.Declaration,
                _ => null,
            };
            if (declaration is null) continue;
            var type = declaration.Type.IsVar ? null : declaration.Type.ToString();
            foreach (var v in declaration.Variables)
            {
                if (v.Initializer is null) continue;
                var literal = v.Initializer.Value.ToString();
                list.Add(new DeclaredParameter(v.Identifier.ValueText, literal, KindOfType(type, "csharp") ?? KindOf(v.Initializer.Value), type));
            }
        }
        return list;
    }

    /// <summary>The kind of a C# initializer: a literal (or a negated numeric literal) by its token, anything else Other.</summary>
    static ParameterKind KindOf(ExpressionSyntax value)
    {
        if (value is PrefixUnaryExpressionSyntax { OperatorToken.RawKind: (int)SyntaxKind.MinusToken, Operand: LiteralExpressionSyntax negated })
            value = negated;
        if (value is not LiteralExpressionSyntax literal) return ParameterKind.Other;
        return literal.Kind() switch
        {
            SyntaxKind.StringLiteralExpression => ParameterKind.String,
            SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression => ParameterKind.Bool,
            SyntaxKind.NumericLiteralExpression => literal.Token.Value switch
            {
                int => ParameterKind.Int,
                long => ParameterKind.Long,
                double => ParameterKind.Double,
                float => ParameterKind.Float,
                decimal => ParameterKind.Decimal,
                _ => ParameterKind.Other,
            },
            _ => ParameterKind.Other,
        };
    }

    static List<DeclaredParameter> ParseFSharp(string source)
    {
        var list = new List<DeclaredParameter>();
        foreach (var raw in source.Replace("\r\n", "\n").Split('\n'))
        {
            var m = FSharpDeclaration().Match(raw);
            if (!m.Success) continue;
            var type = m.Groups["type"].Success ? m.Groups["type"].Value : null;
            var lit = m.Groups["lit"].Value;
            list.Add(new DeclaredParameter(m.Groups["name"].Value, lit, KindOfType(type, "fsharp") ?? KindOf(lit), type));
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
    /// Inserts the injected-parameters cell after the parameters cell and returns it; null when there are
    /// no overrides. An override the parameters cell does not declare (a typo would otherwise silently run
    /// the default), a notebook without a parameters cell, or a value of the wrong type is an ArgumentException
    /// that lists the declared parameters.
    /// </summary>
    public static NotebookCell? Inject(NotebookDocument doc, IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        if (overrides.Count == 0) return null;
        // an executed notebook (a published run) carries the cell its run injected: replaced, as papermill does, so that
        // its values (size=quick) do not run after these and undo them
        doc.Cells.RemoveAll(c => c.HasTag(InjectedTag));
        var index = doc.Cells.FindIndex(c => c.Kind == CellKind.Code && c.HasTag(ParametersTag));
        if (index < 0)
            throw new ArgumentException($"the notebook has no cell tagged '{ParametersTag}', so --param {overrides[0].Key} has nothing to override");
        var language = EffectiveLanguage(doc.Cells[index]);
        if (language is not ("csharp" or "fsharp")) language = "csharp";
        var declared = Parse(doc.Cells[index].Source, language);

        var lines = new List<string> { "// Parameters (injected by nbssl)" };
        foreach (var (name, value) in overrides)
        {
            var d = declared.LastOrDefault(p => p.Name == name)
                ?? throw new ArgumentException($"parameter '{name}' is not declared in the parameters cell; declared: "
                    + (declared.Count == 0 ? "none" : string.Join(", ", declared.Select(p => $"{p.Name} (default {p.Literal})"))));
            var literal = Literal(name, value, d.Kind, language);
            var type = d.DeclaredType;
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
