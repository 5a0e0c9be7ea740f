namespace NotebookSsl.Notebooks.Execution;

/// <summary>The assemblies notebook code compiles against: the .NET shared framework plus what nbssl carries.</summary>
internal static class References
{
    static readonly string[] Excluded =
    [
        "Microsoft.CodeAnalysis", "FSharp.Compiler", "FSharp.DependencyManager", "testhost", "Microsoft.TestPlatform",
        "Microsoft.VisualStudio", "xunit", "nbssl", "Microsoft.NET.Test", "Xunit.", "NotebookSsl.Notebooks.Tests",
        "Microsoft.Testing",
    ];

    static readonly Lazy<IReadOnlyList<string>> All = new(Find);

    public static IReadOnlyList<string> Paths => All.Value;

    static IReadOnlyList<string> Find()
    {
        var list = new List<string>();
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        foreach (var f in Directory.GetFiles(runtimeDir, "*.dll"))
        {
            var n = Path.GetFileName(f);
            if (n.StartsWith("System.") || n.StartsWith("Microsoft.") || n is "mscorlib.dll" or "netstandard.dll")
                if (!n.StartsWith("Microsoft.DiaSymReader") && !n.StartsWith("Microsoft.VisualBasic") && IsManaged(f)) list.Add(f);
        }
        var appDir = AppContext.BaseDirectory;
        foreach (var f in Directory.GetFiles(appDir, "*.dll"))
        {
            var n = Path.GetFileName(f);
            if (Excluded.Any(x => n.StartsWith(x, StringComparison.OrdinalIgnoreCase))) continue;
            if (list.Any(p => Path.GetFileName(p).Equals(n, StringComparison.OrdinalIgnoreCase))) continue;
            if (IsManaged(f)) list.Add(f);
        }
        // the engine itself, wherever it was loaded from
        var self = typeof(References).Assembly.Location;
        if (!list.Contains(self)) list.Add(self);
        return list;
    }

    static bool IsManaged(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
