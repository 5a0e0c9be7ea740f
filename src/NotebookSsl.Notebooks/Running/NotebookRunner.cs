using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Parameters;
using NotebookSsl.Notebooks.Reports;
using NotebookSsl.Runs;

namespace NotebookSsl.Notebooks.Running;

/// <summary>How to start a worker process: the program and the arguments before "worker".</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments);

public sealed class RunOptions
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
}

/// <summary>The outcome of one notebook. <see cref="FailedCell"/> is 1-based, as editors number cells.</summary>
public sealed record NotebookRunResult(
    string Notebook, bool Succeeded, string IpynbPath, string HtmlPath,
    int? FailedCell, string? ErrorName, string? ErrorValue, int WorkerExitCode);

/// <summary>
/// Runs a notebook in its own worker process, then writes the executed notebook (.ipynb) and an HTML
/// report, both atomically. A worker that dies (a native abort) is recorded as the running cell's error.
/// </summary>
public static partial class NotebookRunner
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^\[\d+/\d+\] cell \d+ \([\w#]+\) \.\.\. ")]
    private static partial System.Text.RegularExpressions.Regex ProgressPrefix();

    public static NotebookRunResult Run(string notebookPath, RunOptions options)
    {
        var fullPath = Path.GetFullPath(notebookPath);
        var doc = NotebookDocument.Load(fullPath);
        var name = Path.GetFileNameWithoutExtension(fullPath);
        var notebookDir = Path.GetDirectoryName(fullPath)!;
        var outDir = Path.GetFullPath(options.OutputDirectory);
        var ipynbPath = Path.Combine(outDir, name + ".ipynb");
        var htmlPath = Path.Combine(outDir, name + ".html");
        var log = options.Log;

        NotebookParameters.Inject(doc, options.Parameters, w => log.WriteLine($"nbssl: warning: {w}"));
        var plan = new JsonArray();
        foreach (var (cell, index) in doc.Cells.Select((c, i) => (c, i)))
        {
            if (cell.Kind != CellKind.Code) continue;
            cell.Language = NotebookParameters.EffectiveLanguage(cell);   // a `#!fsharp` first line wins, as in Polyglot
            cell.Outputs = new JsonArray();
            cell.ExecutionCount = null;
            cell.Metadata.Remove("execution");
            cell.Metadata.Remove("nbssl");
            if (cell.Source.Trim().Length == 0) continue;
            plan.Add(new JsonObject
            {
                ["index"] = index, ["language"] = NotebookParameters.EffectiveLanguage(cell), ["source"] = cell.Source,
            });
        }

        // the library's record, without loading libtorch in the runner; the worker runs with this OMP policy
        var environment = JsonSerializer.SerializeToNode(
            RunEnvironment.Capture(notebookDir, loadTorch: false) with { OmpWaitPolicy = OmpWaitPolicy }, RunJson.Options);
        log.WriteLine($"nbssl: {notebookPath}: {plan.Count} code cell(s)");
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();

        var work = Path.Combine(Path.GetTempPath(), $"nbssl-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        int exitCode;
        string stderrTail;
        List<JsonObject> events;
        try
        {
            var planPath = Path.Combine(work, "plan.json");
            var eventsPath = Path.Combine(work, "events.jsonl");
            File.WriteAllText(planPath, new JsonObject { ["baseDirectory"] = notebookDir, ["cells"] = plan }.ToJsonString());
            (exitCode, stderrTail) = RunWorker(options, planPath, eventsPath, notebookDir);
            events = ReadEvents(eventsPath);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }

        var outcome = Apply(doc, events, exitCode, stderrTail, plan);
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

        AtomicFile.WriteAllText(ipynbPath, Ipynb.Write(doc));
        AtomicFile.WriteAllText(htmlPath, HtmlReport.Render(doc, name));
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

    static (int ExitCode, string StderrTail) RunWorker(RunOptions options, string planPath, string eventsPath, string workingDirectory)
    {
        var command = options.Worker;
        var log = options.Log;
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
        foreach (var a in new[] { "worker", "--plan", planPath, "--events", eventsPath }) psi.ArgumentList.Add(a);
        if (options.Echo) psi.ArgumentList.Add("--echo");
        Process? started;
        try { started = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e) { started = null; log.WriteLine($"nbssl: could not start the worker '{command.FileName}': {e.Message}"); }
        if (started is null) return (-1, $"could not start the worker process '{command.FileName}'");
        using var process = started;
        process.StandardInput.Close();
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
        Task.WaitAll(pumps);
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
                if (sb.Length > capacity) sb.Remove(0, sb.Length - capacity);
            }
        }
        public override string ToString() { lock (sb) return sb.ToString(); }
    }

    static List<JsonObject> ReadEvents(string path)
    {
        var list = new List<JsonObject>();
        if (!File.Exists(path)) return list;
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0) continue;
            try { if (JsonNode.Parse(line) is JsonObject o) list.Add(o); }
            catch (System.Text.Json.JsonException) { break; }   // the last line of a killed worker may be cut short
        }
        return list;
    }

    sealed record Outcome(int? FailedCell, string? ErrorName, string? ErrorValue);

    static Outcome Apply(NotebookDocument doc, List<JsonObject> events, int exitCode, string stderrTail, JsonArray plan)
    {
        var displays = new Dictionary<string, JsonObject>();
        int? running = null;
        JsonObject? error = null;
        int? errorCell = null;
        bool done = false;
        foreach (var e in events)
        {
            var kind = e["event"]?.GetValue<string>();
            var index = e["cell"]?.GetValue<int>() ?? -1;
            var cell = index >= 0 && index < doc.Cells.Count ? doc.Cells[index] : null;
            switch (kind)
            {
                case "start":
                    running = index;
                    break;
                case "output" when cell is not null:
                {
                    var output = e["output"]!.DeepClone().AsObject();
                    if (output["output_type"]?.GetValue<string>() == "error") { error = output; errorCell = index; }
                    var last = cell.Outputs.Count > 0 ? cell.Outputs[^1] as JsonObject : null;
                    if (output["output_type"]?.GetValue<string>() == "stream" && last?["output_type"]?.GetValue<string>() == "stream"
                        && last["name"]?.GetValue<string>() == output["name"]?.GetValue<string>())
                    {
                        last["text"] = Ipynb.JoinText(last["text"]) + Ipynb.JoinText(output["text"]);
                        break;
                    }
                    cell.Outputs.Add(output);
                    if (e["display_id"]?.GetValue<string>() is { } id) displays[id] = output;
                    break;
                }
                case "update":
                {
                    var id = e["display_id"]?.GetValue<string>();
                    if (id is not null && displays.TryGetValue(id, out var shown))
                        shown["data"] = e["output"]!["data"]!.DeepClone();
                    break;
                }
                case "end" when cell is not null:
                    cell.ExecutionCount = e["execution_count"]?.GetValue<int>();
                    cell.Metadata["execution"] = new JsonObject
                    {
                        ["iopub.execute_input"] = e["start"]?.GetValue<string>(),
                        ["shell.execute_reply"] = e["end"]?.GetValue<string>(),
                    };
                    cell.Metadata["nbssl"] = new JsonObject
                    {
                        ["duration_s"] = e["seconds"]?.GetValue<double>(),
                        ["status"] = e["ok"]?.GetValue<bool>() == true ? "ok" : "error",
                    };
                    running = null;
                    break;
                case "done":
                    done = true;
                    break;
            }
        }
        if (error is not null)
            return new Outcome(errorCell + 1, error["ename"]?.GetValue<string>(), error["evalue"]?.GetValue<string>());
        if (exitCode == 0 && done) return new Outcome(null, null, null);

        // The worker died: blame the cell it had started (or the first one, if it never got that far).
        var blamed = running ?? (plan.Count > 0 ? plan[0]!["index"]!.GetValue<int>() : -1);
        var signal = exitCode > 128 ? SignalName(exitCode - 128) : null;
        var ename = exitCode == TimeoutExitCode ? "Timeout" : running is null && events.Count == 0 ? "WorkerFailed" : "ProcessAborted";
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

    static string? SignalName(int signal) => signal switch
    {
        6 => "SIGABRT", 9 => "SIGKILL", 11 => "SIGSEGV", 4 => "SIGILL", 8 => "SIGFPE", 7 => "SIGBUS", 15 => "SIGTERM",
        _ => $"signal {signal}",
    };
}
