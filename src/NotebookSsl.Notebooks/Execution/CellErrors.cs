namespace NotebookSsl.Notebooks.Execution;

/// <summary>A cell that did not compile; <see cref="Diagnostics"/> holds one line per error ("(line,col): error CODE: message").</summary>
internal sealed class CellCompilationException(string language, IReadOnlyList<string> diagnostics)
    : Exception($"{language} compilation failed: {string.Join("; ", diagnostics)}")
{
    public IReadOnlyList<string> Diagnostics { get; } = diagnostics;
}

/// <summary>An exception thrown by notebook code, with the stack trace trimmed of the engine's own frames.</summary>
internal sealed class CellRuntimeException(Exception inner, IReadOnlyList<string> trace) : Exception(inner.Message, inner)
{
    public IReadOnlyList<string> Trace { get; } = trace;

    public static CellRuntimeException From(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException { InnerException: { } i }) e = i;
        var lines = new List<string>();
        foreach (var line in e.ToString().Split('\n'))
        {
            var l = line.TrimEnd('\r');
            if (l.Contains("Microsoft.CodeAnalysis.Scripting") || l.Contains("FSharp.Compiler.") || l.Contains("NotebookSsl.Notebooks.Execution")) break;
            lines.Add(l);
        }
        return new CellRuntimeException(e, lines);
    }
}
