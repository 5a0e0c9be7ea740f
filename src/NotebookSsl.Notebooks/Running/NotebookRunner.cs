using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Execution;
using NotebookSsl.Notebooks.Parameters;
using NotebookSsl.Notebooks.Reports;
using NotebookSsl.Runs;

namespace NotebookSsl.Notebooks.Running;

/// <summary>How to start a worker process: the program and the arguments before "worker".</summary>
internal sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);

internal sealed record RunOptions
{
    public required WorkerCommand Worker { get; init; }
    public string OutputDirectory { get; init; } = "out";
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];
    /// <summary>Stream cells' console output and displayed values to the log as they happen.</summary>
    public bool Echo { get; init; }
    /// <summary>Longest a notebook may run; past it the worker is killed and the running cell gets a timeout error.</summary>
    public TimeSpan? Timeout { get; init; }
    /// <summary>Progress and the worker's own stderr go here.</summary>
    public TextWriter Log { get; init; } = Console.Error;
    /// <summary>How much of a cell's console output goes into the notebook and report (the rest into a side file).</summary>
    public OutputLimit OutputLimit { get; init; } = OutputLimit.Default;
    /// <summary>Add a static SVG to every chart (<see cref="ChartImages"/>); off only where nothing will view the files.</summary>
    public bool StaticImages { get; init; } = true;
}

/// <summary>The outcome of one notebook. <see cref="FailedCell"/> is 1-based, as editors number cells.</summary>
internal sealed record NotebookRunResult(
    string Notebook, bool Succeeded, string IpynbPath, string HtmlPath,
    int? FailedCell, string? ErrorName, string? ErrorValue, int WorkerExitCode);

/// <summary>A notebook that could not be read (not JSON, not nbformat 4, a bad .dib header...): the message names the file.</summary>
internal sealed class InvalidNotebookException(string path, string reason, Exception? inner = null)
    : Exception($"{path}: {reason}", inner)
{
    public string Path { get; } = path;
}

/// <summary>A notebook read, its parameters injected and its code cells planned, ready to run.</summary>
internal sealed record PreparedNotebook(string Path, NotebookDocument Document, IReadOnlyList<PlannedCell> Cells);

/// <summary>
/// Runs a notebook in its own worker process, then writes the executed notebook (.ipynb) and an HTML
/// report, both atomically. A worker that dies (a native abort) is recorded as the running cell's error.
/// </summary>
internal static partial class NotebookRunner
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^\[\d+/\d+\] cell \d+ \([\w#]+\) \.\.\. ")]
    private static partial System.Text.RegularExpressions.Regex ProgressPrefix();

    /// <summary>Runs one notebook and writes DIR/NAME.ipynb and DIR/NAME.html.</summary>
    public static NotebookRunResult Run(string notebookPath, RunOptions options) =>
        Run(Prepare(notebookPath, options.Parameters), options, Path.GetFileNameWithoutExtension(notebookPath));

    /// <summary>
    /// Reads the notebook and injects the parameter overrides. A notebook that cannot be read throws
    /// <see cref="InvalidNotebookException"/>; a bad override (undeclared, wrong type) throws ArgumentException.
    /// </summary>
    internal static PreparedNotebook Prepare(string notebookPath, IReadOnlyList<KeyValuePair<string, string>> parameters) =>
        Prepare(notebookPath, Load(notebookPath), parameters);

    /// <summary>Reads a notebook; one that cannot be read throws <see cref="InvalidNotebookException"/> naming it.</summary>
    internal static NotebookDocument Load(string notebookPath)
    {
        try { return NotebookDocument.Load(Path.GetFullPath(notebookPath)); }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidNotebookException(notebookPath, e.Message, e);
        }
    }

    /// <summary>As <see cref="Prepare(string, IReadOnlyList{KeyValuePair{string, string}})"/>, for a document already read (cells run in <paramref name="notebookPath"/>'s folder).</summary>
    internal static PreparedNotebook Prepare(string notebookPath, NotebookDocument doc, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        try { NotebookParameters.Inject(doc, parameters); }
        catch (ArgumentException e) { throw new ArgumentException($"{notebookPath}: {e.Message}", e); }

        var plan = new List<PlannedCell>();
        foreach (var (cell, index) in doc.Cells.Select((c, i) => (c, i)))
        {
            if (cell.Kind != CellKind.Code) continue;
            cell.Language = NotebookParameters.EffectiveLanguage(cell);   // a `#!fsharp` first line wins, as in Polyglot
            cell.Outputs = new JsonArray();
            cell.ExecutionCount = null;
            cell.Metadata.Remove("execution");
            cell.Metadata.Remove("nbssl");
            if (cell.Source.Trim().Length == 0) continue;
            plan.Add(new PlannedCell(index, cell.Language, cell.Source));
        }
        return new PreparedNotebook(notebookPath, doc, plan);
    }

    /// <summary>Runs a prepared notebook; <paramref name="outputName"/> is its path under the output folder, without extension.</summary>
    internal static NotebookRunResult Run(PreparedNotebook prepared, RunOptions options, string outputName)
    {
        var notebookPath = prepared.Path;
        var doc = prepared.Document;
        var fullPath = Path.GetFullPath(notebookPath);
        var notebookDir = Path.GetDirectoryName(fullPath)!;
        var outBase = Path.Combine(Path.GetFullPath(options.OutputDirectory), outputName);
        var ipynbPath = outBase + ".ipynb";
        var htmlPath = outBase + ".html";
        var log = options.Log;

        // the library's record, without loading libtorch in the runner; the worker runs with this OMP policy
        var environment = JsonSerializer.SerializeToNode(
            RunEnvironment.Capture(notebookDir, loadTorch: false) with { OmpWaitPolicy = OmpWaitPolicy }, RunJson.Options);
        log.WriteLine($"nbssl: {notebookPath}: {prepared.Cells.Count} code cell(s)");
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();

        var work = WorkFolders.Create();
        int exitCode;
        Outcome outcome;
        try
        {
            var planPath = Path.Combine(work, "plan.json");
            var eventsPath = Path.Combine(work, "events.jsonl");
            File.WriteAllText(planPath, WorkerProtocol.Serialize(new WorkerPlan(notebookDir, prepared.Cells)));
            // the notebook's `parallel` parameter: helper processes that run the same cells and fill the run store
            // (ParallelRuns: each starts its jobs elsewhere in the list); only this one's outputs are kept
            int processes = ProcessesFor(prepared, options);
            if (processes > 1) log.WriteLine($"nbssl: {notebookPath}: its runs spread over {processes} processes (parameter parallel; parallel=1 for one)");
            var helpers = Enumerable.Range(1, processes - 1)
                .Select(k => StartHelper(options, planPath, Path.Combine(work, $"helper{k}.jsonl"), notebookDir, $"{k}/{processes}")).ToList();
            try
            {
                (exitCode, var stderrTail) = RunWorker(options, planPath, eventsPath, notebookDir, processes > 1 ? $"0/{processes}" : null);
                outcome = Apply(doc, WorkerProtocol.EnumerateEvents(eventsPath), exitCode, stderrTail, prepared.Cells, options.OutputLimit, outBase);
            }
            finally { foreach (var helper in helpers) EndHelper(helper); }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }

        doc.Metadata["nbssl"] = new JsonObject
        {
            ["parameters"] = new JsonObject(options.Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["environment"] = environment,
            ["run"] = new JsonObject
            {
                ["status"] = outcome.FailedCell is null ? "ok" : "failed",
                ["failed_cell"] = outcome.FailedCell,
                ["error"] = outcome.ErrorName is null ? null : $"{outcome.ErrorName}: {outcome.ErrorValue}",
                ["started"] = started.ToString("o"),
                ["duration_s"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
                ["worker_exit_code"] = exitCode,
            },
        };

        if (options.StaticImages && ChartImages.AddTo(doc, log) is { Charts: > 0 } images)
            doc.Metadata["nbssl"]!["static_images"] = new JsonObject
            {
                ["charts"] = images.Charts, ["rendered"] = images.Rendered,
                ["seconds"] = Math.Round(images.Seconds, 2), ["skipped"] = images.Skipped,
            };

        AtomicFile.WriteAllText(ipynbPath, Ipynb.Write(doc));
        AtomicFile.WriteAllText(htmlPath, HtmlReport.Render(doc, Path.GetFileName(outBase)));
        var ok = outcome.FailedCell is null;
        log.WriteLine(ok
            ? $"nbssl: {notebookPath}: ok in {clock.Elapsed.TotalSeconds:0.0}s -> {ipynbPath}, {htmlPath}"
            : $"nbssl: {notebookPath}: FAILED at cell {outcome.FailedCell}: {outcome.ErrorName}: {outcome.ErrorValue} -> {ipynbPath}, {htmlPath}");
        return new NotebookRunResult(notebookPath, ok, ipynbPath, htmlPath, outcome.FailedCell, outcome.ErrorName, outcome.ErrorValue, exitCode);
    }

    /// <summary>The OpenMP wait policy workers run with: the caller's OMP_WAIT_POLICY, else PASSIVE.</summary>
    public static string OmpWaitPolicy => Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } p ? p : "PASSIVE";

    /// <summary>Exit code recorded when nbssl killed a worker that ran past <see cref="RunOptions.Timeout"/>.</summary>
    public const int TimeoutExitCode = -2;

    /// <summary>
    /// How many processes run the notebook: its <c>parallel</c> parameter (the override, else the declared default;
    /// 0: one per core), 1 when it declares none.
    /// </summary>
    internal static int ProcessesFor(PreparedNotebook prepared, RunOptions options)
    {
        string? literal = options.Parameters.LastOrDefault(p => p.Key == "parallel").Value;
        if (literal is null && prepared.Document.Cells.FirstOrDefault(c => c.Kind == CellKind.Code && c.HasTag(NotebookParameters.ParametersTag)) is { } cell)
            literal = NotebookParameters.Parse(cell.Source, NotebookParameters.EffectiveLanguage(cell) == "fsharp" ? "fsharp" : "csharp")
                .LastOrDefault(p => p.Name == "parallel")?.Literal;
        if (literal is null || !int.TryParse(literal.Trim(), out int n) || n < 0) return 1;
        return n == 0 ? Math.Max(1, Environment.ProcessorCount) : n;
    }

    static ProcessStartInfo WorkerStart(RunOptions options, string planPath, string eventsPath, string workingDirectory, string? share)
    {
        var command = options.Worker;
        var psi = new ProcessStartInfo(command.FileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in command.Arguments) psi.ArgumentList.Add(a);
        // libtorch's OpenMP threads spin while they wait: on a machine that is busy with anything else
        // (a build, another notebook) that makes training tens of times slower. Sleeping costs little.
        psi.Environment["OMP_WAIT_POLICY"] = OmpWaitPolicy;
        if (share is not null) psi.Environment[Runs.ParallelRuns.ShareVariable] = share;
        else psi.Environment.Remove(Runs.ParallelRuns.ShareVariable);
        foreach (var a in new[] { "worker", "--plan", planPath, "--events", eventsPath }) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>A helper process: the same cells, share <paramref name="share"/> of every job list, its output thrown away.</summary>
    static Process? StartHelper(RunOptions options, string planPath, string eventsPath, string workingDirectory, string share)
    {
        try
        {
            var helper = Process.Start(WorkerStart(options, planPath, eventsPath, workingDirectory, share));
            if (helper is null) return null;
            _ = helper.StandardOutput.BaseStream.CopyToAsync(Stream.Null);   // drained, or a full pipe would stop it
            _ = helper.StandardError.BaseStream.CopyToAsync(Stream.Null);
            return helper;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            lock (options.Log) options.Log.WriteLine($"nbssl: could not start helper process {share}: {e.Message}; its runs are trained by the others");
            return null;
        }
    }

    /// <summary>Ends a helper and what it started (the notebook's own process has finished: nothing it trains is needed now).</summary>
    static void EndHelper(Process? helper)
    {
        if (helper is null) return;
        using (helper)
        {
            try { if (!helper.HasExited) helper.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            helper.WaitForExit();
            LeftoverProcesses.EndGroup(helper.Id);
        }
    }

    static (int ExitCode, string StderrTail) RunWorker(RunOptions options, string planPath, string eventsPath, string workingDirectory, string? share)
    {
        var command = options.Worker;
        var log = options.Log;
        var psi = WorkerStart(options, planPath, eventsPath, workingDirectory, share);
        if (options.Echo) psi.ArgumentList.Add("--echo");
        Process? started;
        try { started = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e) { started = null; log.WriteLine($"nbssl: could not start the worker '{command.FileName}': {e.Message}"); }
        if (started is null) return (-1, $"could not start the worker process '{command.FileName}'");
        using var process = started;
        // stdin stays open and unwritten: the worker watches it, and its end of file (this process gone,
        // by any signal) makes the worker end itself instead of running on unobserved.
        var tail = new Tail(16_000);
        var pumps = new[]
        {
            Pump(process.StandardError.BaseStream, log, tail),
            Pump(process.StandardOutput.BaseStream, log, tail),
        };
        var timedOut = false;
        if (options.Timeout is { } limit && !process.WaitForExit(limit))
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        // what the cells started and left running: ended, and named in the log
        var left = LeftoverProcesses.EndGroup(process.Id);
        if (left.Count > 0)
            lock (log) log.WriteLine($"nbssl: the notebook left {left.Count} process(es) running; nbssl ended them: {string.Join("; ", left)}");
        // Children the cells started inherited the worker's stdout and stderr: the pipes reach end of file only
        // when the last of them exits. What the worker wrote is already in the pipe, so a short wait reads it;
        // a child out of reach (one that left the process group) must not keep the runner waiting.
        if (!Task.WaitAll(pumps, TimeSpan.FromSeconds(5)))
            lock (log) log.WriteLine("nbssl: a process the notebook started still holds the worker's output; no longer reading it");
        log.Flush();
        return (timedOut ? TimeoutExitCode : process.ExitCode, tail.ToString());
    }

    /// <summary>Forwards a child's output as it comes (progress lines end only when the cell does) and keeps its tail.</summary>
    static async Task Pump(Stream from, TextWriter to, Tail tail)
    {
        var decoder = new UTF8Encoding(false).GetDecoder();
        var bytes = new byte[4096];
        var chars = new char[8192];
        int n;
        while ((n = await from.ReadAsync(bytes).ConfigureAwait(false)) > 0)
        {
            var c = decoder.GetChars(bytes, 0, n, chars, 0);
            lock (to) { to.Write(chars, 0, c); to.Flush(); }
            tail.Append(chars, c);
        }
    }

    sealed class Tail(int capacity)
    {
        readonly StringBuilder sb = new();
        public void Append(char[] chars, int count)
        {
            lock (sb)
            {
                sb.Append(chars, 0, count);
                if (sb.Length > 2 * capacity) sb.Remove(0, sb.Length - capacity);
            }
        }
        public override string ToString()
        {
            lock (sb) return sb.Length > capacity ? sb.ToString(sb.Length - capacity, capacity) : sb.ToString();
        }
    }

    sealed record Outcome(int? FailedCell, string? ErrorName, string? ErrorValue);

    /// <summary>A stream output being assembled: its text goes through the output limit (head and tail in memory, the rest to disk), set once at the end.</summary>
    sealed record OpenStream(int Cell, string Name, JsonObject Output, CappedText Text);

    /// <summary>Applies the worker's events to the notebook as they are read: memory holds what the notebook keeps, not what the cells printed.</summary>
    static Outcome Apply(NotebookDocument doc, IEnumerable<WorkerEvent> events, int exitCode, string stderrTail, IReadOnlyList<PlannedCell> plan,
        OutputLimit limit, string outBase)
    {
        var streams = new List<OpenStream>();
        try { return Apply(doc, events, exitCode, stderrTail, plan, limit, outBase, streams); }
        finally { foreach (var s in streams) s.Text.Dispose(); }   // a side file not finished is removed, not left half-written
    }

    static Outcome Apply(NotebookDocument doc, IEnumerable<WorkerEvent> events, int exitCode, string stderrTail, IReadOnlyList<PlannedCell> plan,
        OutputLimit limit, string outBase, List<OpenStream> streams)
    {
        var displays = new Dictionary<string, JsonObject>();
        int? running = null;
        JsonObject? error = null;
        int? errorCell = null;
        bool done = false, any = false;
        foreach (var e in events)
        {
            any = true;
            switch (e)
            {
                case CellStarted s:
                    running = s.Cell;
                    break;
                case CellOutput o when CellAt(doc, o.Cell) is { } cell:
                {
                    var output = o.Output;
                    var type = output["output_type"]?.GetValue<string>();
                    if (type == "error") { error = output; errorCell = o.Cell; }
                    if (type == "stream")
                    {
                        var name = output["name"]?.GetValue<string>() ?? "stdout";
                        var text = Ipynb.JoinText(output["text"]);
                        if (streams.Count > 0 && streams[^1] is { } open && open.Cell == o.Cell && open.Name == name
                            && cell.Outputs.Count > 0 && ReferenceEquals(cell.Outputs[^1], open.Output))
                        {
                            open.Text.Append(text);
                            break;
                        }
                        var side = $"{outBase}.cell{o.Cell + 1}.{name}.txt";
                        var capped = new CappedText(limit, side, Path.GetFileName(side));
                        streams.Add(new OpenStream(o.Cell, name, output, capped));
                        capped.Append(text);
                        output["text"] = "";   // the text lives in `capped` until the end
                    }
                    cell.Outputs.Add(output);
                    if (o.DisplayId is { } id) displays[id] = output;
                    break;
                }
                case DisplayUpdated u:
                    if (displays.TryGetValue(u.DisplayId, out var shown)) shown["data"] = u.Output["data"]?.DeepClone();
                    break;
                case CellEnded end when CellAt(doc, end.Cell) is { } cell:
                    cell.ExecutionCount = end.ExecutionCount;
                    cell.Metadata["execution"] = new JsonObject
                    {
                        ["iopub.execute_input"] = end.Start.ToString("o"),
                        ["shell.execute_reply"] = end.End.ToString("o"),
                    };
                    cell.Metadata["nbssl"] = new JsonObject
                    {
                        ["duration_s"] = end.Seconds,
                        ["status"] = end.Ok ? "ok" : "error",
                    };
                    running = null;
                    break;
                case PlanDone:
                    done = true;
                    break;
            }
        }
        foreach (var s in streams)
            s.Output["text"] = s.Text.Finish();

        if (error is not null)
            return new Outcome(errorCell + 1, error["ename"]?.GetValue<string>(), error["evalue"]?.GetValue<string>());
        if (exitCode == 0 && done) return new Outcome(null, null, null);

        // The worker died: blame the cell it had started (or the first one, if it never got that far).
        var blamed = running ?? (plan.Count > 0 ? plan[0].Index : -1);
        var signal = exitCode > 128 ? SignalName(exitCode - 128) : null;
        var ename = exitCode == TimeoutExitCode ? "Timeout" : running is null && !any ? "WorkerFailed" : "ProcessAborted";
        var evalue = exitCode == TimeoutExitCode
            ? "the notebook ran past its --timeout; nbssl stopped it " + (running is null ? "between cells" : "while this cell was running")
            : $"the notebook's worker process ended abnormally (exit code {exitCode}{(signal is null ? "" : ", " + signal)}) "
              + (running is null ? "before finishing" : "while this cell was running");
        var tailLines = stderrTail.Split('\n').Select(l => ProgressPrefix().Replace(l.TrimEnd('\r'), "")).Where(l => l.Length > 0).ToList();
        var what = tailLines.LastOrDefault(l => l.TrimStart().StartsWith("what():"));
        if (what is not null) evalue += ": " + what.Trim()["what():".Length..].Trim();
        var from = tailLines.FindLastIndex(l => l.StartsWith("terminate called") || l.StartsWith("Process terminated"));
        var tailShown = from >= 0 ? tailLines.Skip(from).Take(16) : tailLines.TakeLast(30);
        var trace = new List<string> { evalue, "Last output of the worker process:" };
        trace.AddRange(tailShown);
        var errorOutput = new JsonObject
        {
            ["output_type"] = "error", ["ename"] = ename, ["evalue"] = evalue,
            ["traceback"] = new JsonArray(trace.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        };
        if (blamed >= 0)
        {
            var cell = doc.Cells[blamed];
            cell.Outputs.Add(errorOutput);
            cell.Metadata["nbssl"] = new JsonObject { ["status"] = "aborted" };
        }
        return new Outcome(blamed >= 0 ? blamed + 1 : 0, ename, evalue);
    }

    static NotebookCell? CellAt(NotebookDocument doc, int index) => index >= 0 && index < doc.Cells.Count ? doc.Cells[index] : null;

    static string? SignalName(int signal) => signal switch
    {
        6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 4 => "SIGILL", 8 => "SIGFPE", 7 => "SIGBUS", 15 => "SIGTERM",
        _ => $"signal {signal}",
    };
}
