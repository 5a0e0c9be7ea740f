using System.Text.RegularExpressions;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Execution;

/// <summary>A magic command or #r directive nbssl cannot honour; reported as the cell's error.</summary>
internal sealed class CellDirectiveException(string message) : Exception(message);

/// <summary><c>#!share --from kernel name [--as alias]</c>.</summary>
internal sealed record ShareRequest(string From, string Name, string As);

/// <summary>A cell's code with its magic commands and nuget references taken out (as blank lines, so line numbers hold).</summary>
internal sealed record PreparedCell(string Code, IReadOnlyList<ShareRequest> Shares, bool Time);

internal static partial class CellSource
{
    [GeneratedRegex(@"^#r\s+""nuget:\s*(?<spec>[^""]*)""\s*(//.*)?$")]
    private static partial Regex NugetReference();

    [GeneratedRegex(@"^#i\s+""nuget:[^""]*""\s*(//.*)?$")]
    private static partial Regex NugetSource();

    public static PreparedCell Prepare(string source, string language, PackageCatalog catalog)
    {
        var lines = source.Replace("\r\n", "\n").Split('\n');
        var shares = new List<ShareRequest>();
        bool time = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var t = lines[i].Trim();
            if (i == 0 && Polyglot.KernelFromMagic(t) is not null) { lines[i] = ""; continue; }
            if (t.StartsWith("#!share")) { shares.Add(ParseShare(t, language, i + 1)); lines[i] = ""; continue; }
            if (t == "#!time") { time = true; lines[i] = ""; continue; }
            if (t.StartsWith("#!") && !t.StartsWith("#!/"))
                throw new CellDirectiveException($"line {i + 1}: magic command '{t.Split(' ')[0]}' is not supported by nbssl (it supports #!csharp, #!fsharp, #!share, #!time)");
            var m = NugetReference().Match(t);
            if (m.Success)
            {
                var spec = m.Groups["spec"].Value.Split(',', StringSplitOptions.TrimEntries);
                if (spec[0].Length == 0) throw new CellDirectiveException($"line {i + 1}: #r \"nuget:\" needs a package name");
                var version = spec.Length > 1 && spec[1].Length > 0 ? spec[1] : null;
                try { catalog.Require(spec[0], version); }
                catch (CellDirectiveException e) { throw new CellDirectiveException($"line {i + 1}: {e.Message}"); }
                lines[i] = "";
                continue;
            }
            if (NugetSource().IsMatch(t)) lines[i] = "";   // package sources: nothing is downloaded anyway
        }
        return new PreparedCell(string.Join("\n", lines), shares, time);
    }

    static ShareRequest ParseShare(string line, string language, int lineNo)
    {
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        string? from = null, name = null, alias = null;
        for (int k = 0; k < tokens.Count; k++)
        {
            string Next() => k + 1 < tokens.Count ? tokens[++k] : throw new CellDirectiveException($"line {lineNo}: '{tokens[k]}' needs a value");
            switch (tokens[k])
            {
                case "--from" or "-f": from = Polyglot.NormalizeKernel(Next()); break;
                case "--as": alias = Next(); break;
                case var o when o.StartsWith('-'):
                    throw new CellDirectiveException($"line {lineNo}: #!share option '{o}' is not supported by nbssl (use --from and --as)");
                default:
                    if (name is not null) throw new CellDirectiveException($"line {lineNo}: #!share takes one value name");
                    name = tokens[k];
                    break;
            }
        }
        if (from is null) throw new CellDirectiveException($"line {lineNo}: #!share needs --from csharp|fsharp");
        if (name is null) throw new CellDirectiveException($"line {lineNo}: #!share needs the name of a value");
        if (from is not ("csharp" or "fsharp")) throw new CellDirectiveException($"line {lineNo}: #!share --from {from}: nbssl has only csharp and fsharp kernels");
        if (from == language) throw new CellDirectiveException($"line {lineNo}: #!share --from {from} in a {language} cell: the value is already here");
        alias ??= name;
        foreach (var id in new[] { name, alias })
            if (!Regex.IsMatch(id, @"^[A-Za-z_]\w*$")) throw new CellDirectiveException($"line {lineNo}: '{id}' is not a valid name");
        return new ShareRequest(from, name, alias);
    }
}
