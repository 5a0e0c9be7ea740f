using System.Reflection;

namespace NotebookSsl.Notebooks.Execution;

/// <summary>
/// The NuGet packages nbssl carries (restored at build time, loaded in every notebook). A notebook's
/// <c>#r "nuget: Name, Version"</c> is accepted when it names one of them; nothing is downloaded.
/// </summary>
internal sealed class PackageCatalog
{
    public IReadOnlyDictionary<string, string> Packages { get; }

    public PackageCatalog(IReadOnlyDictionary<string, string> packages) =>
        Packages = new Dictionary<string, string>(packages, StringComparer.OrdinalIgnoreCase);

    /// <summary>What this build carries (from the engine assembly's "nbssl-carried" metadata).</summary>
    public static PackageCatalog Carried { get; } = FromAssembly();

    static PackageCatalog FromAssembly()
    {
        var raw = typeof(PackageCatalog).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "nbssl-carried")?.Value ?? "";
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in raw.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) d[entry[..eq]] = entry[(eq + 1)..];
        }
        return new PackageCatalog(d);
    }

    /// <summary>Throws a <see cref="CellDirectiveException"/> naming the package when it is not carried.</summary>
    public void Require(string name, string? version)
    {
        var carried = string.Join(", ", Packages.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));
        if (!Packages.TryGetValue(name, out var have))
            throw new CellDirectiveException(
                $"package '{name}'{(version is null ? "" : $" version {version}")} is not available: nbssl runs offline and carries only {carried}");
        if (version is not null && !VersionMatches(version, have))
            throw new CellDirectiveException(
                $"package '{name}' version {version} is not available: nbssl carries {name} {have}");
    }

    /// <summary>Exact version, a wildcard ("0.107.*", "*"), or a NuGet range ("[0.107.0, )", "[1.0,2.0)").</summary>
    public static bool VersionMatches(string requested, string have)
    {
        var r = requested.Trim();
        if (r == "*" || r == have) return true;
        if (r.EndsWith('*')) return have.StartsWith(r[..^1], StringComparison.OrdinalIgnoreCase);
        if (r.Length >= 2 && (r[0] == '[' || r[0] == '(') && (r[^1] == ']' || r[^1] == ')'))
        {
            if (!Version.TryParse(have.Split('-')[0], out var h)) return false;
            var parts = r[1..^1].Split(',');
            var lo = parts[0].Trim();
            var hi = parts.Length > 1 ? parts[1].Trim() : lo;
            if (lo.Length > 0 && Version.TryParse(lo, out var l) && (r[0] == '[' ? h < l : h <= l)) return false;
            if (hi.Length > 0 && Version.TryParse(hi, out var u) && (r[^1] == ']' ? h > u : h >= u)) return false;
            return true;
        }
        return false;
    }
}
