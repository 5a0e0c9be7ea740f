using NotebookSsl.Notebooks.Display;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace NotebookSsl.Notebooks.Execution;

/// <summary>C# cells: one continuing Roslyn script state, so each cell sees the previous cells' variables.</summary>
internal sealed class CSharpSession
{
    ScriptState<object>? state;
    readonly ScriptOptions options;

    public CSharpSession(string baseDirectory)
    {
        options = ScriptOptions.Default
            .WithReferences(References.Paths.Select(p => MetadataReference.CreateFromFile(p)))
            .WithImports("System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks",
                         "NotebookSsl.Notebooks.Display")
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(baseDirectory))
            .WithSourceResolver(new SourceFileResolver([], baseDirectory))
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(true)
            .WithFileEncoding(System.Text.Encoding.UTF8);
    }

    /// <summary>Runs <paramref name="code"/>; returns the value of a trailing expression (or null).</summary>
    public object? Run(string code, string fileName)
    {
        if (state is null)
            // the notebook's display helpers (display, html, image) in scope in every cell
            state = Continue(null, "using static NotebookSsl.Notebooks.Display.DisplayFunctions;", "nbssl-prelude.csx");
        state = Continue(state, code, fileName);
        if (state.Exception is { } e) throw CellRuntimeException.From(e);
        return state.ReturnValue;
    }

    ScriptState<object> Continue(ScriptState<object>? from, string code, string fileName)
    {
        var o = options.WithFilePath(fileName);
        var script = from is null ? CSharpScript.Create<object>(code, o) : from.Script.ContinueWith<object>(code, o);
        var errors = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new CellCompilationException("C#", errors.Select(Describe).ToList());
        var task = from is null ? script.RunAsync(null, _ => true) : script.RunFromAsync(from, _ => true);
        return task.GetAwaiter().GetResult();
    }

    static string Describe(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        var where = d.Location.IsInSource ? $"({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): " : "";
        return $"{where}error {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The options cells compile with (references, imports).</summary>
    public ScriptOptions Options => options;

    /// <summary>The script of the last cell that ran (null before the first): completion continues it.</summary>
    public Script? LastScript => state?.Script;

    /// <summary>The latest variable of that name, or null when no C# cell declared it.</summary>
    public ScriptVariable? GetVariable(string name) => state?.GetVariable(name);

    /// <summary>Declares <paramref name="name"/> in the script, typed as <paramref name="typeName"/>, bound to the shared object.</summary>
    public void Define(string name, string typeName)
    {
        var code = $"var {name} = ({typeName})global::NotebookSsl.Notebooks.Display.DisplayFunctions.Shared[\"{name}\"];";
        Run(code, $"nbssl-share-{name}.csx");
    }
}
