using System.Reflection;
using NotebookSsl.Notebooks.Execution;

using NotebookSsl.Notebooks.Display;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// Completion, inspection and is-complete for F# cells: completion is FSI's own (names in scope, members of
/// a dotted prefix); inspection shows a bound value's type and value, or a .NET member's signatures;
/// is-complete is a bracket and trailing-token heuristic (F# has no "complete submission" API).
/// </summary>
internal static class FSharpAssist
{
    /// <summary>The F# language version (that of the FSharp.Core the sessions run).</summary>
    public static string LanguageVersionText
    {
        get
        {
            var v = typeof(Microsoft.FSharp.Core.Unit).Assembly.GetName().Version!;
            return $"{v.Major}.{v.Minor}";
        }
    }

    static bool IsIdentChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '\'';

    public static (int Start, int End, List<string> Matches) Complete(FSharpSession? session, string code, int cursor)
    {
        int start = cursor;
        while (start > 0 && IsIdentChar(code[start - 1])) start--;
        int end = cursor;
        while (end < code.Length && IsIdentChar(code[end])) end++;
        int dotted = start;
        while (dotted > 0 && (IsIdentChar(code[dotted - 1]) || code[dotted - 1] == '.')) dotted--;
        var longIdent = code[dotted..cursor];
        var prefix = code[start..cursor];
        if (session is null) return (start, end, []);
        var names = session.Completions(longIdent)
            .Select(n => n.Contains('.') ? n[(n.LastIndexOf('.') + 1)..] : n)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return (start, end, names);
    }

    /// <summary>"complete", "incomplete" or "invalid" (a closing bracket without its opening one).</summary>
    public static string IsComplete(string code)
    {
        var stack = new Stack<char>();
        bool inString = false, tripleString = false;
        int commentDepth = 0;
        for (int i = 0; i < code.Length; i++)
        {
            char c = code[i], next = i + 1 < code.Length ? code[i + 1] : '\0';
            if (commentDepth > 0)
            {
                if (c == '(' && next == '*') { commentDepth++; i++; }
                else if (c == '*' && next == ')') { commentDepth--; i++; }
                continue;
            }
            if (tripleString) { if (code.AsSpan(i).StartsWith("\"\"\"")) { tripleString = false; i += 2; } continue; }
            if (inString) { if (c == '\\') i++; else if (c == '"') inString = false; continue; }
            if (code.AsSpan(i).StartsWith("\"\"\"")) { tripleString = true; i += 2; continue; }
            switch (c)
            {
                case '"': inString = true; break;
                case '/' when next == '/':
                    while (i < code.Length && code[i] != '\n') i++;
                    break;
                case '(' when next == '*' && (i + 2 >= code.Length || code[i + 2] != ')'): commentDepth++; i++; break;
                case '(' or '[' or '{': stack.Push(c); break;
                case ')' or ']' or '}':
                    var open = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (stack.Count == 0 || stack.Pop() != open) return "invalid";
                    break;
                case '\'' when i + 2 < code.Length && code[i + 2] == '\'': i += 2; break;   // a char literal such as '('
            }
        }
        if (inString || tripleString || commentDepth > 0 || stack.Count > 0) return "incomplete";
        var last = code.TrimEnd();
        if (last.Length == 0) return "complete";
        string[] continuing = ["=", "->", "<-", "|>", "<|", ">>", "<<", ",", "+", "-", "*", "/", "&&", "||", "::", "@", "|"];
        if (continuing.Any(t => last.EndsWith(t, StringComparison.Ordinal)) && !last.EndsWith(";;")) return "incomplete";
        var word = new string(last.Reverse().TakeWhile(IsIdentChar).Reverse().ToArray());
        return word is "in" or "then" or "else" or "do" or "with" or "function" or "try" or "finally" or "of" or "begin" or "struct"
            ? "incomplete" : "complete";
    }

    /// <summary>What the (dotted) name at <paramref name="cursor"/> is: a bound value's type and value, or a .NET type's or member's signatures.</summary>
    public static string? Inspect(FSharpSession? session, string code, int cursor)
    {
        int start = Math.Min(cursor, code.Length), end = start;
        while (start > 0 && (IsIdentChar(code[start - 1]) || code[start - 1] == '.')) start--;
        while (end < code.Length && IsIdentChar(code[end])) end++;
        var name = code[start..end].Trim('.');
        if (name.Length == 0) return null;
        if (session?.GetValue(name) is { } v)
        {
            var shown = v.Value is null ? "null" : session.FormatValue(v.Value, v.Type);
            if (shown.Length > 2000) shown = shown[..2000] + " ...";
            return $"val {name} : {TypeNames.Best(v.Type, v.Value, fsharp: true)}\n{shown}";
        }
        return DotNet.Describe(name);
    }
}

/// <summary>Signatures of a .NET type or member named by a dotted path, found by reflection in the loaded assemblies.</summary>
static class DotNet
{
    public static string? Describe(string dotted)
    {
        var parts = dotted.Split('.');
        var assemblies = AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic).ToList();
        string[] namespaces = ["", "System.", "System.IO.", "System.Linq.", "System.Collections.Generic."];
        for (int n = parts.Length; n >= 1; n--)
        {
            var typeName = string.Join('.', parts.Take(n));
            var type = namespaces.SelectMany(ns => assemblies.Select(a => a.GetType(ns + typeName))).FirstOrDefault(t => t is { IsPublic: true });
            if (type is null) continue;
            if (n == parts.Length) return $"type {type.FullName}" + (type.BaseType is { } b && b != typeof(object) ? $" : {b.Name}" : "");
            if (n != parts.Length - 1) return null;
            var members = type.GetMember(parts[^1], BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance);
            if (members.Length == 0) return null;
            return string.Join("\n", members.Take(20).Select(m => m switch
            {
                MethodInfo mi => $"{type.Name}.{mi.Name}({Parameters(mi)}) : {mi.ReturnType.Name}",
                PropertyInfo p => $"{type.Name}.{p.Name} : {p.PropertyType.Name}",
                FieldInfo f => $"{type.Name}.{f.Name} : {f.FieldType.Name}",
                _ => $"{type.Name}.{m.Name}",
            }));
        }
        return null;
    }

    static string Parameters(MethodInfo m) => string.Join(", ", m.GetParameters().Select(p => $"{p.Name}: {p.ParameterType.Name}"));
}
