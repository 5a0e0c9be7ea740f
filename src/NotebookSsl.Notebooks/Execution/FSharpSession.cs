using NotebookSsl.Notebooks.Display;
using FSharp.Compiler.Diagnostics;
using FSharp.Compiler.Interactive;
using Microsoft.FSharp.Core;

namespace NotebookSsl.Notebooks.Execution;

/// <summary>F# cells: one in-process FSI session referencing the assemblies nbssl carries.</summary>
internal sealed class FSharpSession : IDisposable
{
    readonly Shell.FsiEvaluationSession fsi;
    readonly StringWriter fsiOut = new(), fsiErr = new();

    public FSharpSession()
    {
        var config = Shell.FsiEvaluationSession.GetDefaultConfiguration();
        // --noframework: compile against the very assemblies this process runs on (as the C# side does)
        var argv = new List<string> { "fsi.exe", "--noninteractive", "--nologo", "--quiet", "--gui-", "--optimize+", "--multiemit+", "--noframework" };
        argv.AddRange(FrameworkReferences().Select(p => "-r:" + p));
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        argv.AddRange(References.Paths.Where(p => Path.GetDirectoryName(p) != runtimeDir).Select(p => "-r:" + p));
        fsi = Shell.FsiEvaluationSession.Create(config, argv.ToArray(), new StringReader(""), fsiOut, fsiErr,
            FSharpOption<bool>.Some(false), null);
        Eval("open NotebookSsl.Notebooks.Display\nopen type NotebookSsl.Notebooks.Display.DisplayFunctions", "nbssl-prelude.fsx");
    }

    /// <summary>
    /// The .NET reference assemblies (packs/Microsoft.NETCore.App.Ref) matching this runtime: F# needs
    /// reference assemblies, it does not follow the runtime's type forwarders into System.Private.CoreLib.
    /// Falls back to the runtime's own assemblies when the SDK's pack is not there.
    /// </summary>
    static IEnumerable<string> FrameworkReferences()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref");
        var tfm = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var refDir = Directory.Exists(packs)
            ? Directory.GetDirectories(packs)
                .Select(d => (Dir: Path.Combine(d, "ref", tfm), Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version(0, 0)))
                .Where(x => Directory.Exists(x.Dir) && x.Version.Major == Environment.Version.Major)
                .OrderByDescending(x => x.Version).Select(x => x.Dir).FirstOrDefault()
            : null;
        if (refDir is not null) return Directory.GetFiles(refDir, "*.dll");
        return References.Paths.Where(p => Path.GetDirectoryName(p) == runtimeDir);
    }

    /// <summary>Runs <paramref name="code"/>; returns the value of a trailing expression (or null).</summary>
    public object? Run(string code, string fileName) => Eval(code, fileName);

    object? Eval(string code, string fileName)
    {
        fsiOut.GetStringBuilder().Clear();
        fsiErr.GetStringBuilder().Clear();
        var (result, diagnostics) = fsi.EvalInteractionNonThrowing(code, fileName, FSharpOption<CancellationToken>.None);
        var errors = diagnostics.Where(d => d.Severity == FSharpDiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new CellCompilationException("F#", errors.Select(d => $"({d.StartLine},{d.StartColumn + 1}): error FS{d.ErrorNumber:0000}: {d.Message}").ToList());
        if (result.IsChoice2Of2)
        {
            var e = ((FSharpChoice<FSharpOption<Shell.FsiValue>?, Exception>.Choice2Of2)result).Item;
            if (e.GetType().Name == "FsiCompilationException")
                throw new CellCompilationException("F#", [e.Message + " " + fsiErr]);
            throw CellRuntimeException.From(e);
        }
        var value = ((FSharpChoice<FSharpOption<Shell.FsiValue>?, Exception>.Choice1Of2)result).Item;
        if (value is null || !FSharpOption<Shell.FsiValue>.get_IsSome(value)) return null;
        var v = value.Value;
        // values without a rich formatter print the F# way, as FSI and Polyglot show them
        return v.ReflectionValue is { } o && !Formatter.IsRich(o) && o is not DisplayHandle
            ? new FSharpText(fsi.FormatValue(o, v.ReflectionType)) : v.ReflectionValue;
    }

    /// <summary>Names that complete a partial (dotted) identifier, from FSI's own completion.</summary>
    public IEnumerable<string> Completions(string longIdent) => fsi.GetCompletions(longIdent);

    /// <summary>F#'s own printing of a value ("%A" style: [1.0; 0.5], records, unions).</summary>
    public string FormatValue(object value, Type type) => fsi.FormatValue(value, type);

    /// <summary>The value and static type of a top-level F# binding, or null when there is none.</summary>
    public (object? Value, Type Type)? GetValue(string name)
    {
        var found = fsi.TryFindBoundValue(name);
        if (found is null || !FSharpOption<Shell.FsiBoundValue>.get_IsSome(found)) return null;
        return (found.Value.Value.ReflectionValue, found.Value.Value.ReflectionType);
    }

    /// <summary>Binds <paramref name="name"/> to the shared object, typed as <paramref name="typeName"/> when it can be named.</summary>
    public void Define(string name, string? typeName, object? value)
    {
        if (typeName is null || typeName == "obj")
        {
            if (value is null) Eval($"let {name} : obj = null", $"nbssl-share-{name}.fsx");
            else fsi.AddBoundValue(name, value);
            return;
        }
        Eval($"let {name} = global.NotebookSsl.Notebooks.Display.DisplayFunctions.Shared.[\"{name}\"] :?> {typeName}", $"nbssl-share-{name}.fsx");
    }

    public void Dispose() => ((IDisposable)fsi).Dispose();
}

/// <summary>A value as F# prints it; shown as text/plain.</summary>
internal sealed record FSharpText(string Text)
{
    public override string ToString() => Text;
}
