using NotebookSsl.Notebooks.Display;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Execution;

/// <summary>A code cell to run: its index in the notebook, its language and its source.</summary>
internal sealed record PlannedCell(int Index, string Language, string Source);

/// <summary>What running cells produces, as it happens (the worker writes these to its events file).</summary>
internal interface IExecutionListener
{
    void CellStarted(PlannedCell cell, int ordinal, int total);
    /// <summary>A new output of <paramref name="cell"/> (display id set for display_data that can be updated).</summary>
    void Output(int cell, JsonObject output, string? displayId);
    /// <summary>An output shown earlier (in cell <paramref name="cell"/>) was redrawn.</summary>
    void Update(int cell, string displayId, JsonObject output);
    void CellFinished(PlannedCell cell, int executionCount, DateTimeOffset start, TimeSpan elapsed, JsonObject? error);
}

/// <summary>
/// Runs cells in process: C# on a continuing Roslyn script, F# in one FSI session; captures console
/// output per cell, routes display calls, handles #!share, #r "nuget:" and errors.
/// </summary>
internal sealed class CellExecutor : IDisplaySink, IDisposable
{
    readonly string baseDirectory;
    readonly IExecutionListener listener;
    readonly PackageCatalog catalog;
    readonly object gate = new();
    readonly Dictionary<string, int> displayCell = new();
    readonly TextWriter originalOut = Console.Out, originalError = Console.Error;
    readonly StringBuilder pending = new();
    string? pendingName;
    long lastFlush = Stopwatch.GetTimestamp();
    CSharpSession? csharp;
    FSharpSession? fsharp;
    Task<FSharpSession>? fsharpWarmup;
    int currentCell = -1;
    int executionCount;
    CancellationTokenSource? cellCancel;
    Thread? cellThread;

    public CellExecutor(string baseDirectory, IExecutionListener listener, PackageCatalog? catalog = null)
    {
        this.baseDirectory = baseDirectory;
        this.listener = listener;
        this.catalog = catalog ?? PackageCatalog.Carried;
        Console.SetOut(new CaptureWriter(this, "stdout"));
        Console.SetError(new CaptureWriter(this, "stderr"));
        DisplayFunctions.SetSink(this);
    }

    /// <summary>
    /// Starts the F# session on a background thread (the compiler takes seconds to load), so it is ready
    /// when the first F# cell comes; call it when the notebook has F# cells.
    /// </summary>
    public void WarmUpFSharp() => fsharpWarmup ??= Task.Run(() => new FSharpSession());

    FSharpSession FSharp()
    {
        if (fsharp is not null) return fsharp;
        try { fsharp = fsharpWarmup is null ? new FSharpSession() : fsharpWarmup.GetAwaiter().GetResult(); }
        finally { fsharpWarmup = null; }
        return fsharp;
    }

    /// <summary>
    /// This process's stderr, by its descriptor. Not <see cref="Console.OpenStandardError()"/>: on Unix every write
    /// to a Console stream takes the lock of <c>Console.Out</c>, which the cell thread holds while it prints
    /// (through the capture writer, into the listener's locks), so a thread that logs or echoes while holding
    /// one of those locks would deadlock with it.
    /// </summary>
    internal static Stream OpenStandardError() =>
        new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, 1);

    /// <summary>The C# session, once a C# cell ran (completion and inspection read its script).</summary>
    public CSharpSession? CSharp => csharp;

    /// <summary>The F# session, once an F# cell ran or its warm-up finished.</summary>
    public FSharpSession? FSharpIfStarted =>
        fsharp ?? (fsharpWarmup is { IsCompletedSuccessfully: true } w ? w.Result : null);

    /// <summary>The directory cells run in (relative #r paths resolve against it).</summary>
    public string BaseDirectory => baseDirectory;

    /// <summary>
    /// Interrupts the running cell: cancels <see cref="DisplayFunctions.cancellation"/>, and the cell's next console
    /// write or display call throws <see cref="OperationCanceledException"/> (like Python's KeyboardInterrupt,
    /// between two steps of a loop that reports its progress). False when no cell is running.
    /// </summary>
    public bool Interrupt()
    {
        CancellationTokenSource? c;
        lock (gate) c = cellCancel;
        if (c is null) return false;
        try { c.Cancel(); } catch (ObjectDisposedException) { return false; }
        return true;
    }

    void ThrowIfInterrupted()
    {
        CancellationTokenSource? c;
        lock (gate) c = Thread.CurrentThread == cellThread ? cellCancel : null;
        if (c is { IsCancellationRequested: true }) throw new OperationCanceledException("the cell was interrupted", c.Token);
    }

    /// <summary>Runs one cell; false when it failed (its error was reported to the listener).</summary>
    public bool Run(PlannedCell cell, int ordinal, int total)
    {
        var start = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using var cancel = new CancellationTokenSource();
        lock (gate) { currentCell = cell.Index; cellCancel = cancel; cellThread = Thread.CurrentThread; }
        DisplayFunctions.cancellation = cancel.Token;
        listener.CellStarted(cell, ordinal, total);
        var count = ++executionCount;
        JsonObject? error = null;
        try
        {
            var prepared = CellSource.Prepare(cell.Source, cell.Language, catalog);
            foreach (var share in prepared.Shares) Share(share);
            var file = $"cell{cell.Index + 1}" + (cell.Language == "fsharp" ? ".fsx" : ".csx");
            object? value = cell.Language switch
            {
                "csharp" => (csharp ??= new CSharpSession(baseDirectory)).Run(prepared.Code, file),
                "fsharp" => FSharp().Run(prepared.Code, file),
                var other => throw new CellDirectiveException($"kernel '{other}' is not supported by nbssl: cells run C# or F#"),
            };
            DisplayFunctions.FlushUpdates();
            FlushConsole();
            if (value is not null and not DisplayHandle && !IsUnit(value))
            {
                var data = Formatter.Format(value);
                listener.Output(cell.Index, new JsonObject
                {
                    ["output_type"] = "execute_result", ["execution_count"] = count, ["data"] = data, ["metadata"] = new JsonObject(),
                }, null);
            }
            if (prepared.Time)
                Emit("stdout", $"Wall time: {clock.Elapsed.TotalMilliseconds:0.###}ms\n");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lock (gate) cellThread = null;   // an interrupted cell still draws its last chart updates
            try { DisplayFunctions.FlushUpdates(); } catch (Exception) { /* the cell's own error is what counts */ }
            FlushConsole();
            error = ErrorOutput(e);
            listener.Output(cell.Index, error, null);
        }
        lock (gate) { cellCancel = null; cellThread = null; }
        DisplayFunctions.cancellation = CancellationToken.None;
        FlushConsole();
        listener.CellFinished(cell, count, start, clock.Elapsed, error);
        return error is null;
    }

    static bool IsUnit(object value) => value.GetType().FullName == "Microsoft.FSharp.Core.Unit";

    /// <summary>Binds a value of the other language here, by reference (handed over through <see cref="DisplayFunctions.Shared"/>).</summary>
    void Share(ShareRequest share)
    {
        try
        {
            if (share.From == "csharp")
            {
                var v = csharp?.GetVariable(share.Name)
                    ?? throw new CellDirectiveException($"#!share: no C# variable '{share.Name}' (run the C# cell that declares it first)");
                DisplayFunctions.Shared[share.As] = v.Value;
                var type = TypeNames.Best(v.Type, v.Value, fsharp: true);
                FSharp().Define(share.As, type == "obj" ? null : type, v.Value);
            }
            else
            {
                var v = (fsharp is null && fsharpWarmup is null ? null : FSharp().GetValue(share.Name))
                    ?? throw new CellDirectiveException($"#!share: no F# value '{share.Name}' (run the F# cell that binds it first; an F# function is compiled to a method, not a value: share a delegate such as System.Func<_, _>(f))");
                DisplayFunctions.Shared[share.As] = v.Value;
                (csharp ??= new CSharpSession(baseDirectory)).Define(share.As, TypeNames.Best(v.Type, v.Value, fsharp: false));
            }
        }
        finally
        {
            DisplayFunctions.Shared.Remove(share.As);   // the new binding holds the reference; the hand-over slot must not keep it alive
        }
    }

    public static JsonObject ErrorOutput(Exception e)
    {
        string ename, evalue;
        IEnumerable<string> trace;
        switch (e)
        {
            case CellCompilationException c:
                ename = "CompilationError";
                evalue = $"{c.Diagnostics.Count} compilation error(s)";
                trace = c.Diagnostics;
                break;
            case CellDirectiveException d:
                ename = "DirectiveError";
                evalue = d.Message;
                trace = [d.Message];
                break;
            case CellRuntimeException r:
                ename = r.InnerException!.GetType().FullName ?? "Exception";
                evalue = r.Message;
                trace = r.Trace;
                break;
            default:
                ename = e.GetType().FullName ?? "Exception";
                evalue = e.Message;
                trace = e.ToString().Split('\n').Select(l => l.TrimEnd('\r'));
                break;
        }
        return new JsonObject
        {
            ["output_type"] = "error",
            ["ename"] = ename,
            ["evalue"] = evalue,
            ["traceback"] = new JsonArray(trace.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        };
    }

    // ---- display sink -------------------------------------------------------------------------

    string IDisplaySink.Display(JsonObject data)
    {
        ThrowIfInterrupted();
        FlushConsole();
        var id = Guid.NewGuid().ToString("N");
        int cell;
        lock (gate) { cell = currentCell; displayCell[id] = cell; }
        listener.Output(cell, DisplayData(data), id);
        return id;
    }

    void IDisplaySink.Update(string displayId, JsonObject data)
    {
        ThrowIfInterrupted();
        FlushConsole();
        int cell;
        lock (gate)
            if (!displayCell.TryGetValue(displayId, out cell)) throw new ArgumentException($"unknown display id '{displayId}'");
        listener.Update(cell, displayId, DisplayData(data));
    }

    static JsonObject DisplayData(JsonObject data) =>
        new() { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() };

    // ---- console capture ----------------------------------------------------------------------

    void Append(string name, string text)
    {
        ThrowIfInterrupted();
        string? flushName = null, flushText = null;
        lock (gate)
        {
            if (pendingName is not null && pendingName != name && pending.Length > 0)
            {
                flushName = pendingName; flushText = pending.ToString(); pending.Clear();
            }
            pendingName = name;
            pending.Append(text);
        }
        if (flushText is not null) Emit(flushName!, flushText);
        // complete lines go out at once: if native code aborts the process, what was printed is kept
        if (text.Contains('\n') || Stopwatch.GetElapsedTime(Interlocked.Read(ref lastFlush)).TotalSeconds > 1) FlushConsole();
    }

    void FlushConsole()
    {
        string? name, text;
        lock (gate)
        {
            if (pending.Length == 0 || pendingName is null) return;
            name = pendingName; text = pending.ToString(); pending.Clear();
        }
        Emit(name, text);
    }

    void Emit(string name, string text)
    {
        Interlocked.Exchange(ref lastFlush, Stopwatch.GetTimestamp());
        int cell;
        lock (gate) cell = currentCell;
        listener.Output(cell, new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = text }, null);
    }

    sealed class CaptureWriter(CellExecutor owner, string name) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => owner.Append(name, value.ToString());
        public override void Write(string? value) { if (!string.IsNullOrEmpty(value)) owner.Append(name, value); }
        public override void Write(char[] buffer, int index, int count) => owner.Append(name, new string(buffer, index, count));
        public override void WriteLine(string? value) => owner.Append(name, (value ?? "") + "\n");
        public override void Flush() => owner.FlushConsole();
    }

    public void Dispose()
    {
        FlushConsole();
        DisplayFunctions.SetSink(null);
        Console.SetOut(originalOut);
        Console.SetError(originalError);
        if (fsharp is null && fsharpWarmup is { IsCompletedSuccessfully: true } w) fsharp = w.Result;
        fsharp?.Dispose();
    }
}
