using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using NotebookSsl.Notebooks.Execution;

using NotebookSsl.Notebooks.Display;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// Completion, inspection and is-complete for C# cells, from Roslyn's semantic model of the cell compiled as the
/// next submission of the session's script (so earlier cells' variables and usings are known).
/// </summary>
internal static class CSharpAssist
{
    static readonly CSharpParseOptions ScriptParse = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The C# language version cells compile with ("14.0").</summary>
    public static string LanguageVersionText => LanguageVersion.Latest.MapSpecifiedToEffectiveVersion().ToDisplayString();

    /// <summary>"complete", "incomplete" (an open block or statement: the front-end continues the line) or "invalid".</summary>
    public static string IsComplete(string code)
    {
        var tree = SyntaxFactory.ParseSyntaxTree(code, ScriptParse);
        if (!SyntaxFactory.IsCompleteSubmission(tree)) return "incomplete";
        return tree.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error) ? "invalid" : "complete";
    }

    static (SemanticModel Model, SyntaxTree Tree) Compile(CSharpSession? session, string code)
    {
        var options = session?.Options ?? ScriptOptions.Default.WithReferences(References.Paths.Select(p => MetadataReference.CreateFromFile(p)))
            .WithImports("System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "NotebookSsl.Notebooks");
        Script script = session?.LastScript is { } last ? last.ContinueWith(code, options) : CSharpScript.Create(code, options);
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.Last();
        return (compilation.GetSemanticModel(tree), tree);
    }

    /// <summary>Names that can stand at <paramref name="cursor"/> (a UTF-16 offset), replacing the identifier prefix before it.</summary>
    public static (int Start, int End, List<string> Matches) Complete(CSharpSession? session, string code, int cursor)
    {
        int start = cursor;
        while (start > 0 && (char.IsLetterOrDigit(code[start - 1]) || code[start - 1] == '_')) start--;
        int end = cursor;
        while (end < code.Length && (char.IsLetterOrDigit(code[end]) || code[end] == '_')) end++;
        var prefix = code[start..cursor];
        var (model, tree) = Compile(session, code);
        IEnumerable<ISymbol> symbols;
        bool member = start > 0 && code[start - 1] == '.';
        if (member)
        {
            var dot = tree.GetRoot().FindToken(start - 1);
            var left = dot.Parent switch
            {
                MemberAccessExpressionSyntax m => (SyntaxNode)m.Expression,
                QualifiedNameSyntax q => q.Left,
                ConditionalAccessExpressionSyntax c => c.Expression,
                MemberBindingExpressionSyntax b when b.Parent?.Parent is ConditionalAccessExpressionSyntax c => c.Expression,
                _ => null,
            };
            symbols = [];
            if (left is not null)
            {
                var info = model.GetSymbolInfo(left);
                var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                if (symbol is INamespaceSymbol ns) symbols = model.LookupNamespacesAndTypes(start, ns);
                else if (symbol is ITypeSymbol type) symbols = model.LookupStaticMembers(start, type);
                else if (model.GetTypeInfo(left).Type is { } t and not IErrorTypeSymbol)
                    symbols = model.LookupSymbols(start, t, includeReducedExtensionMethods: true).Where(s => !s.IsStatic);
            }
        }
        else
        {
            symbols = model.LookupSymbols(start);
        }
        var names = symbols
            .Where(s => s.CanBeReferencedByName && !s.IsImplicitlyDeclared)
            .Select(s => s.Name);
        if (!member) names = names.Concat(Keywords);
        var matches = names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (matches.Count == 0)   // case-insensitive as a second chance ("console" -> Console)
            matches = names.Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Distinct().Order(StringComparer.Ordinal).ToList();
        return (start, end, matches);
    }

    static readonly string[] Keywords =
    [
        "abstract", "as", "async", "await", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false",
        "finally", "fixed", "float", "for", "foreach", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "nameof", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "record", "ref", "return", "sbyte", "sealed", "short", "sizeof", "static", "string", "struct",
        "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "var",
        "virtual", "void", "volatile", "when", "where", "while", "yield",
    ];

    /// <summary>The signature and doc comment of the symbol at <paramref name="cursor"/>, or null when there is none.</summary>
    public static string? Inspect(CSharpSession? session, string code, int cursor)
    {
        var (model, tree) = Compile(session, code);
        var root = tree.GetRoot();
        foreach (var position in new[] { cursor, cursor - 1 })
        {
            if (position < 0 || position > code.Length) continue;
            var token = root.FindToken(Math.Min(position, Math.Max(0, code.Length - 1)));
            for (var node = token.Parent; node is not null && node is not StatementSyntax; node = node.Parent)
            {
                var info = model.GetSymbolInfo(node);
                var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault() ?? model.GetDeclaredSymbol(node);
                if (symbol is null) continue;
                var text = Describe(symbol);
                // the other overloads of a method
                if (symbol is IMethodSymbol method)
                {
                    var overloads = (symbol.ContainingType?.GetMembers(method.Name) ?? [])
                        .Where(s => !SymbolEqualityComparer.Default.Equals(s, symbol.OriginalDefinition) && !SymbolEqualityComparer.Default.Equals(s, symbol)).ToList();
                    if (overloads.Count > 0)
                        text += "\n\nOther overloads:\n" + string.Join("\n", overloads.Take(12).Select(o => "  " + o.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)))
                            + (overloads.Count > 12 ? $"\n  ... ({overloads.Count - 12} more)" : "");
                }
                return text;
            }
        }
        return null;
    }

    static string Describe(ISymbol symbol)
    {
        var signature = symbol.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
        var kind = symbol switch
        {
            INamedTypeSymbol t => t.TypeKind.ToString().ToLowerInvariant(),
            ILocalSymbol or IFieldSymbol { ContainingType.IsScriptClass: true } => "variable",
            _ => symbol.Kind.ToString().ToLowerInvariant(),
        };
        var type = symbol switch
        {
            ILocalSymbol l => l.Type, IFieldSymbol f => f.Type, IPropertySymbol p => p.Type, IParameterSymbol p => p.Type, _ => null,
        };
        var text = $"{kind} {signature}" + (type is not null && symbol is not IPropertySymbol ? $" : {type.ToDisplayString()}" : "");
        var doc = Documentation(symbol);
        return doc is null ? text : text + "\n\n" + doc;
    }

    // ---- doc comments, read from the XML files beside the reference assemblies -------------------------

    static readonly Dictionary<string, Dictionary<string, XElement>?> DocFiles = new();

    static string? Documentation(ISymbol symbol)
    {
        var xml = symbol.GetDocumentationCommentXml();
        XElement? member = null;
        if (!string.IsNullOrWhiteSpace(xml))
        {
            try { member = XElement.Parse(xml); } catch (System.Xml.XmlException) { }
        }
        else if (symbol.ContainingAssembly is { } asm && symbol.GetDocumentationCommentId() is { } id)
        {
            // CoreLib's public types are documented in the reference pack's System.Runtime.xml
            var docs = DocsFor(asm.Identity.Name == "System.Private.CoreLib" ? "System.Runtime" : asm.Identity.Name);
            if (docs is not null) docs.TryGetValue(id, out member);
            if (member is null && symbol is IMethodSymbol { IsGenericMethod: true } or INamedTypeSymbol { IsGenericType: true }
                && symbol.OriginalDefinition.GetDocumentationCommentId() is { } id2 && docs is not null)
                docs.TryGetValue(id2, out member);
        }
        if (member is null) return null;
        var lines = new List<string>();
        void Add(string label, XElement? e) { if (e is not null && Flatten(e) is { Length: > 0 } t) lines.Add(label + t); }
        Add("", member.Element("summary"));
        foreach (var p in member.Elements("param")) Add($"  {p.Attribute("name")?.Value}: ", p);
        Add("Returns: ", member.Element("returns"));
        Add("", member.Element("remarks"));
        return lines.Count == 0 ? null : string.Join("\n", lines);
    }

    static string Flatten(XElement e)
    {
        var parts = e.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" or "seealso" } s => (s.Attribute("cref")?.Value is { } c ? c[(c.IndexOf(':') + 1)..].Split('.').Last() : null)
                ?? s.Attribute("langword")?.Value ?? s.Value,
            XElement { Name.LocalName: "paramref" or "typeparamref" } s => s.Attribute("name")?.Value ?? "",
            XElement x => Flatten(x),
            _ => "",
        });
        return System.Text.RegularExpressions.Regex.Replace(string.Concat(parts), @"\s+", " ").Trim();
    }

    static Dictionary<string, XElement>? DocsFor(string assemblyName)
    {
        lock (DocFiles)
        {
            if (DocFiles.TryGetValue(assemblyName, out var cached)) return cached;
            Dictionary<string, XElement>? docs = null;
            var file = XmlDocCandidates(assemblyName).FirstOrDefault(File.Exists);
            if (file is not null)
            {
                try
                {
                    docs = new Dictionary<string, XElement>();
                    foreach (var m in XDocument.Load(file).Descendants("member"))
                        if (m.Attribute("name")?.Value is { } n) docs[n] = m;
                }
                catch (Exception e) when (e is IOException or System.Xml.XmlException) { docs = null; }
            }
            DocFiles[assemblyName] = docs;
            return docs;
        }
    }

    static IEnumerable<string> XmlDocCandidates(string assemblyName)
    {
        foreach (var p in References.Paths)
            if (Path.GetFileNameWithoutExtension(p).Equals(assemblyName, StringComparison.OrdinalIgnoreCase))
                yield return Path.ChangeExtension(p, ".xml");
        // the framework's docs live in the SDK's reference pack, not beside the runtime's assemblies
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var packs = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..", "packs", "Microsoft.NETCore.App.Ref"));
        if (Directory.Exists(packs))
        {
            var tfm = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
            foreach (var d in Directory.GetDirectories(packs).OrderByDescending(d => d, StringComparer.Ordinal))
                yield return Path.Combine(d, "ref", tfm, assemblyName + ".xml");
        }
        // a package's docs in the NuGet cache (lib/<tfm>/Name.xml)
        var nuget = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var pkg = Path.Combine(nuget, assemblyName.ToLowerInvariant());
        if (Directory.Exists(pkg))
            foreach (var f in Directory.EnumerateFiles(pkg, assemblyName + ".xml", SearchOption.AllDirectories).OrderByDescending(f => f, StringComparer.Ordinal))
                yield return f;
    }
}
