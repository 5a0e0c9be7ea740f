using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NetMQ;
using NetMQ.Sockets;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Execution;
using NotebookSsl.Notebooks.Running;

using NotebookSsl.Notebooks.Display;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3) over the notebook engine: one process, one C# session and one F#
/// session (a <see cref="CellExecutor"/>), state kept across cells. Shell requests are handled in order on one
/// thread, which also runs the cells; control (interrupt, shutdown) and the heartbeat have threads of their
/// own, so they answer while a cell runs. Every message is checked against the connection key: one with a
/// missing or wrong signature is logged and dropped, never executed; a signed request the kernel cannot read
/// gets an error reply. Console output goes out in batches (every 0.2 s, as ipykernel does) under the
/// runner's <see cref="OutputLimit"/>; the kernel ends itself when its front-end's process dies.
/// </summary>
internal sealed class KernelServer : IExecutionListener, IDisposable
{
    /// <summary>The languages a cell can be in; a first line <c>#!csharp</c> / <c>#!fsharp</c> picks one.</summary>
    public static readonly IReadOnlyList<string> Languages = ["csharp", "fsharp"];

    readonly ConnectionInfo info;
    readonly string defaultLanguage;
    readonly TextWriter log;
    readonly Wire wire;
    readonly RouterSocket shell = new(), control = new(), stdin = new();
    readonly PublisherSocket iopub = new();
    readonly ResponseSocket heartbeat = new();
    readonly object iopubGate = new(), stdinGate = new(), state = new();
    readonly ManualResetEventSlim stopped = new();
    readonly Queue<Message> pendingShell = new();
    readonly List<(int Line, string Code)> history = [];
    CellExecutor? executor;
    volatile bool stopping;
    int executionCount, cellIndex;
    readonly string kernelName;
    bool warnedPlotly, fsharpWarm;

    // the execute request whose outputs are being published
    Message? current;
    bool currentSilent, currentAllowStdin;
    int currentCount;
    JsonObject? currentError;

    // console output waiting for the next batch (streamGate; taken before iopubGate, never the other way)
    static readonly TimeSpan StreamInterval = TimeSpan.FromMilliseconds(200);
    readonly object streamGate = new();
    readonly StringBuilder streamPending = new();
    string? streamName;
    Message? streamParent;
    readonly Dictionary<string, CappedText> capped = new();   // the running cell's stdout and stderr under the limit
    Timer? streamTimer;
    int exitCode;

    /// <summary>How much of a cell's console output is sent to the front-end (the rest goes to a side file under the temp folder).</summary>
    public OutputLimit OutputLimit { get; init; } = OutputLimit.Default;

    public KernelServer(ConnectionInfo info, string defaultLanguage, TextWriter log)
    {
        if (!Languages.Contains(defaultLanguage)) throw new ArgumentException($"language '{defaultLanguage}': nbssl kernels run csharp or fsharp");
        this.info = info;
        this.defaultLanguage = defaultLanguage;
        kernelName = "nbssl-" + defaultLanguage;
        this.log = log;
        wire = new Wire(info.Key);
    }

    /// <summary>Binds the sockets, serves until a shutdown request, and returns the exit code.</summary>
    public int Run(string workingDirectory)
    {
        // A publisher drops messages past its high-water mark (1,000 by default) without a word, the status
        // messages with them: a front-end that missed "idle" shows the cell running for ever. Nothing is dropped;
        // batching and the output limit keep what waits here small.
        iopub.Options.SendHighWatermark = 0;
        shell.Bind(info.Address(info.ShellPort));
        control.Bind(info.Address(info.ControlPort));
        stdin.Bind(info.Address(info.StdinPort));
        iopub.Bind(info.Address(info.IopubPort));
        heartbeat.Bind(info.Address(info.HeartbeatPort));
        Log($"listening on {info.Ip} (shell {info.ShellPort}, iopub {info.IopubPort}, control {info.ControlPort}); default language {defaultLanguage}");

        executor = new CellExecutor(workingDirectory, this);
        Console.SetIn(new StdinReader(this));
        if (defaultLanguage == "fsharp") { executor.WarmUpFSharp(); fsharpWarm = true; }
        Jupyter.Output.SetClear(ClearOutput);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; Interrupt(); });

        Publish(null, "status", new JsonObject { ["execution_state"] = "starting" });
        streamTimer = new Timer(_ => FlushStream(), null, StreamInterval, StreamInterval);
        Start(HeartbeatLoop, "heartbeat");
        Start(ControlLoop, "control");
        Start(ShellLoop, "shell");
        Start(ParentLoop, "parent");
        stopped.Wait();
        Log("shutting down");
        streamTimer.Dispose();
        FlushStream();
        Thread.Sleep(200);   // the shutdown reply is sent asynchronously: let it leave before the process does
        return exitCode;
    }

    // ---- the front-end's process -----------------------------------------------------------------------

    [DllImport("libc")]
    static extern int getppid();

    /// <summary>
    /// Ends the kernel when the front-end that started it dies (SIGKILL leaves no chance to send a shutdown), as
    /// ipykernel's parent poller does: once a second, the process named by JPY_PARENT_PID (jupyter_client sets it
    /// to its own) must still be running, and this process's parent must still be the one it started with
    /// (an orphan is handed to init or a subreaper; the named process covers a wrapper in between). A cell still
    /// running is not waited for.
    /// </summary>
    void ParentLoop()
    {
        if (OperatingSystem.IsWindows()) return;
        var parent = getppid();
        int? named = int.TryParse(Environment.GetEnvironmentVariable("JPY_PARENT_PID"), out var p) && p > 1 ? p : null;
        while (!stopped.Wait(TimeSpan.FromSeconds(1)))
        {
            var now = getppid();
            // a parent that was init (1) from the start says nothing: this kernel was started detached
            string? gone = now != parent ? $"its parent process {parent} is gone (parent now {now})"
                : named is { } n && !ProcessRunning(n) ? $"the front-end process {n} (JPY_PARENT_PID) is gone"
                : null;
            if (gone is null) continue;
            Log($"{gone}: shutting down");
            exitCode = 1;
            stopping = true;
            Interrupt();
            stopped.Set();
            return;
        }
    }

    /// <summary>Running, per /proc (a zombie is not); without /proc, signal 0.</summary>
    static bool ProcessRunning(int pid)
    {
        if (Directory.Exists("/proc/self"))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
            }
            catch (IOException) { return false; }
        }
        return kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1;   // EPERM: there, not ours
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    void Start(Action loop, string name) => new Thread(() =>
    {
        try { loop(); }
        catch (Exception e) when (stopping && e is TerminatingException or ObjectDisposedException) { /* shutting down */ }
    }) { IsBackground = true, Name = "kernel-" + name }.Start();

    void Log(string line)
    {
        lock (log) { log.WriteLine($"[nbssl kernel {DateTime.Now:HH:mm:ss}] {line}"); log.Flush(); }
    }

    // ---- sockets -----------------------------------------------------------------------------------

    void HeartbeatLoop()
    {
        NetMQMessage? ping = null;
        while (!stopping)
            if (heartbeat.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref ping))
                heartbeat.SendMultipartMessage(ping);
    }

    Message? Receive(NetMQSocket socket, string name)
    {
        NetMQMessage? frames = null;
        if (!socket.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref frames)) return null;
        var m = wire.Parse(frames, out var problem);
        if (m is null) Log($"{name}: dropped a message ({problem}); it was not executed");
        return m;
    }

    void Send(NetMQSocket socket, Message m) => socket.SendMultipartMessage(wire.Serialize(m));

    void Reply(NetMQSocket socket, Message request, string type, JsonObject content) =>
        Send(socket, wire.Create(type, content, request));

    /// <summary>Publishes on iopub (from any thread: the cell's, a background thread it started, control).</summary>
    void Publish(Message? parent, string type, JsonObject content)
    {
        var m = wire.Create(type, content, parent, []);
        var frames = wire.Serialize(m, topic: $"kernel.{wire.Session}.{type}");
        lock (iopubGate) iopub.SendMultipartMessage(frames);
    }

    void ControlLoop()
    {
        while (!stopping)
        {
            var m = Receive(control, "control");
            if (m is null) continue;
            try
            {
                if (m.Unreadable is { } problem) throw new BadRequestException($"{m.Type}: {problem}");
                switch (m.Type)
                {
                    case "interrupt_request":
                        var running = Interrupt();
                        Log(running ? "interrupt: the running cell was asked to stop" : "interrupt: no cell was running");
                        Reply(control, m, "interrupt_reply", new JsonObject { ["status"] = "ok" });
                        break;
                    case "shutdown_request":
                        Shutdown(control, m);
                        break;
                    case "kernel_info_request":
                        Reply(control, m, "kernel_info_reply", KernelInfo());
                        break;
                    default:
                        Log($"control: '{m.Type}' is not supported; ignored");
                        break;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException) { ReplyError(control, "control", m, e); }
        }
    }

    void ShellLoop()
    {
        while (!stopping)
        {
            var m = pendingShell.Count > 0 ? pendingShell.Dequeue() : Receive(shell, "shell");
            if (m is null) continue;
            Publish(m, "status", new JsonObject { ["execution_state"] = "busy" });
            try { HandleShell(m); }
            catch (Exception e) when (e is not OutOfMemoryException) { ReplyError(shell, "shell", m, e); }
            Publish(m, "status", new JsonObject { ["execution_state"] = "idle" });
        }
    }

    /// <summary>A request gets its reply whatever went wrong: the front-end waits for it (and shows the cell running).</summary>
    void ReplyError(NetMQSocket socket, string name, Message m, Exception e)
    {
        Log(e is BadRequestException ? $"{name}: {e.Message}" : $"{name}: {m.Type} failed: {e}");
        if (!m.Type.EndsWith("_request")) return;
        var ename = e is BadRequestException ? "BadRequest" : e.GetType().Name;
        var content = new JsonObject
        {
            ["status"] = "error", ["ename"] = ename, ["evalue"] = e.Message,
            ["traceback"] = new JsonArray(JsonValue.Create($"{ename}: {e.Message}")),
        };
        if (m.Type == "execute_request") content["execution_count"] = executionCount;
        try { Reply(socket, m, m.Type[..^"_request".Length] + "_reply", content); }
        catch (Exception e2) when (e2 is not OutOfMemoryException) { Log($"{name}: the error reply to {m.Type} failed: {e2.Message}"); }
    }

    void HandleShell(Message m)
    {
        if (m.Unreadable is { } problem) throw new BadRequestException($"{m.Type}: {problem}");
        var c = m.Content;
        switch (m.Type)
        {
            case "kernel_info_request":
                Reply(shell, m, "kernel_info_reply", KernelInfo());
                break;
            case "execute_request":
                Execute(m);
                break;
            case "complete_request":
                Reply(shell, m, "complete_reply", Complete(Text(m, "code"), Int(m, "cursor_pos")));
                break;
            case "inspect_request":
                Reply(shell, m, "inspect_reply", Inspect(Text(m, "code"), Int(m, "cursor_pos")));
                break;
            case "is_complete_request":
                var code = Text(m, "code");
                var (language, body) = Route(code);
                var status = language == "fsharp" ? FSharpAssist.IsComplete(body) : language == "csharp" ? CSharpAssist.IsComplete(body) : "complete";
                var reply = new JsonObject { ["status"] = status };
                if (status == "incomplete") reply["indent"] = "    ";
                Reply(shell, m, "is_complete_reply", reply);
                break;
            case "history_request":
                Reply(shell, m, "history_reply", History(c));
                break;
            case "comm_info_request":
                Reply(shell, m, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() });
                break;
            case "comm_open":
                // no comm targets (widgets) here: close it at once, as ipykernel does for an unknown target
                Log($"comm_open for target '{c["target_name"]}': no such target; closed");
                Publish(m, "comm_close", new JsonObject { ["comm_id"] = c["comm_id"]?.GetValue<string>() ?? "", ["data"] = new JsonObject() });
                break;
            case "comm_msg" or "comm_close":
                break;
            case "shutdown_request":
                Shutdown(shell, m);
                break;
            default:
                Log($"shell: '{m.Type}' is not supported; ignored");
                break;
        }
    }

    void Shutdown(NetMQSocket socket, Message m)
    {
        var restart = Flag(m, "restart", false);
        var content = new JsonObject { ["status"] = "ok", ["restart"] = restart };
        Reply(socket, m, "shutdown_reply", content);
        Publish(m, "shutdown_reply", (JsonObject)content.DeepClone());
        Log(restart ? "shutdown requested (the front-end restarts the kernel)" : "shutdown requested");
        stopping = true;
        Interrupt();
        stopped.Set();
    }

    bool Interrupt() => executor?.Interrupt() ?? false;

    // ---- kernel_info -------------------------------------------------------------------------------------

    /// <summary>language_info for a language (name, version, mimetype, file extension, lexer, CodeMirror mode).</summary>
    public static JsonObject LanguageInfo(string language) => language == "fsharp"
        ? new JsonObject
        {
            ["name"] = "fsharp", ["version"] = FSharpAssist.LanguageVersionText, ["mimetype"] = "text/x-fsharp",
            ["file_extension"] = ".fs", ["pygments_lexer"] = "fsharp", ["codemirror_mode"] = "text/x-fsharp",
        }
        : new JsonObject
        {
            ["name"] = "csharp", ["version"] = CSharpAssist.LanguageVersionText, ["mimetype"] = "text/x-csharp",
            ["file_extension"] = ".cs", ["pygments_lexer"] = "csharp", ["codemirror_mode"] = "text/x-csharp",
        };

    JsonObject KernelInfo() => new()
    {
        ["status"] = "ok",
        ["protocol_version"] = Wire.ProtocolVersion,
        ["implementation"] = "nbssl",
        ["implementation_version"] = typeof(KernelServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        ["language_info"] = LanguageInfo(defaultLanguage),
        ["banner"] = $"nbssl kernel: C# (Roslyn scripting) and F# (FSI) cells on .NET {Environment.Version}; " +
                     $"default {(defaultLanguage == "fsharp" ? "F#" : "C#")}, a first line #!csharp or #!fsharp picks a cell's language",
        ["help_links"] = new JsonArray(),
        ["debugger"] = false,
    };

    // ---- execute -----------------------------------------------------------------------------------------

    /// <summary>A cell's language (its first line #!csharp / #!fsharp / #!markdown, else the kernel's default) and its code.</summary>
    (string Language, string Body) Route(string code)
    {
        var newline = code.IndexOf('\n');
        var first = newline < 0 ? code : code[..newline];
        return Polyglot.KernelFromMagic(first) is { } k ? (k, newline < 0 ? "" : code[(newline + 1)..]) : (defaultLanguage, code);
    }

    /// <summary>A request the kernel cannot read (a field of the wrong type, text that is not UTF-8): answered with an error reply.</summary>
    sealed class BadRequestException(string message) : Exception(message);

    /// <summary>A string field of a request's content ("" when absent).</summary>
    static string Text(Message m, string field)
    {
        var node = m.Content[field];
        if (node is null) return "";
        if (node.GetValueKind() != System.Text.Json.JsonValueKind.String)
            throw new BadRequestException($"{m.Type}: '{field}' must be a string, not {node.GetValueKind().ToString().ToLowerInvariant()} {Shorten(node.ToJsonString())}");
        try { return node.GetValue<string>(); }
        catch (InvalidOperationException) { throw new BadRequestException($"{m.Type}: '{field}' is not valid UTF-8 text; send the code as UTF-8"); }
    }

    static bool Flag(Message m, string field, bool absent)
    {
        var node = m.Content[field];
        return node is null ? absent
            : node.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False ? node.GetValue<bool>()
            : throw new BadRequestException($"{m.Type}: '{field}' must be true or false, not {Shorten(node.ToJsonString())}");
    }

    static int? Int(Message m, string field)
    {
        var node = m.Content[field];
        return node is null ? null
            : node.GetValueKind() == System.Text.Json.JsonValueKind.Number && node.AsValue().TryGetValue<int>(out var i) ? i
            : throw new BadRequestException($"{m.Type}: '{field}' must be an integer, not {Shorten(node.ToJsonString())}");
    }

    static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    void Execute(Message m)
    {
        var c = m.Content;
        var code = Text(m, "code");
        var silent = Flag(m, "silent", false);
        var store = !silent && Flag(m, "store_history", true);
        var stopOnError = Flag(m, "stop_on_error", true);
        var allowStdin = Flag(m, "allow_stdin", false);
        if (store) executionCount++;
        var count = executionCount;
        if (!silent) Publish(m, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });
        lock (state)
        {
            current = m; currentSilent = silent; currentCount = count; currentError = null;
            currentAllowStdin = allowStdin;
        }
        var (language, body) = Route(code);
        bool ok;
        if (language == "markdown")
        {
            Publish(m, "display_data", new JsonObject
            {
                ["data"] = new JsonObject { ["text/markdown"] = body, ["text/plain"] = body }, ["metadata"] = new JsonObject(), ["transient"] = new JsonObject(),
            });
            ok = true;
        }
        else
        {
            ok = executor!.Run(new PlannedCell(cellIndex++, language, code), 1, 1);
        }
        EndStreams();
        if (store) history.Add((count, code));
        JsonObject reply;
        lock (state)
        {
            reply = ok || currentError is null
                ? new JsonObject { ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray() }
                : new JsonObject
                {
                    ["status"] = "error", ["execution_count"] = count,
                    ["ename"] = currentError["ename"]?.DeepClone(), ["evalue"] = currentError["evalue"]?.DeepClone(),
                    ["traceback"] = currentError["traceback"]?.DeepClone() ?? new JsonArray(),
                };
        }
        // before the reply: only what was queued behind the failed cell (Run All) is aborted, not what comes after
        var aborted = !ok && stopOnError ? TakeQueuedExecutes() : [];
        Reply(shell, m, "execute_reply", reply);
        foreach (var a in aborted)
        {
            Publish(a, "status", new JsonObject { ["execution_state"] = "busy" });
            Reply(shell, a, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = executionCount });
            Publish(a, "status", new JsonObject { ["execution_state"] = "idle" });
        }
        if (!fsharpWarm)
        {
            // after the first cell, so it does not slow that one down: the first F# cell then finds FSI ready
            executor!.WarmUpFSharp();
            fsharpWarm = true;
        }
    }

    /// <summary>After a failed cell: the execute requests already queued behind it (Run All), to be answered "aborted", not run.</summary>
    List<Message> TakeQueuedExecutes()
    {
        NetMQMessage? frames = null;
        var executes = new List<Message>();
        while (shell.TryReceiveMultipartMessage(TimeSpan.Zero, ref frames))
        {
            var m = wire.Parse(frames, out var problem);
            if (m is null) Log($"shell: dropped a message ({problem}); it was not executed");
            else if (m.Type == "execute_request") executes.Add(m);
            else pendingShell.Enqueue(m);
        }
        return executes;
    }

    // ---- outputs of the running cell (IExecutionListener) -----------------------------------------------

    void IExecutionListener.CellStarted(PlannedCell cell, int ordinal, int total) { }

    void IExecutionListener.CellFinished(PlannedCell cell, int executionCount, DateTimeOffset start, TimeSpan elapsed, JsonObject? error) { }

    void IExecutionListener.Output(int cell, JsonObject output, string? displayId)
    {
        Message? parent;
        bool silent;
        int count;
        lock (state) { parent = current; silent = currentSilent; count = currentCount; }
        var type = output["output_type"]?.GetValue<string>();
        if (type == "stream")
        {
            Stream(parent, cell, output["name"]?.GetValue<string>() ?? "stdout", output["text"]?.GetValue<string>() ?? "");
            return;
        }
        FlushStream();   // what the cell printed before this output comes before it
        switch (type)
        {
            case "display_data":
            {
                var data = Detach(output, "data");
                EnsurePlotlyJs(parent, data);
                Publish(parent, "display_data", new JsonObject
                {
                    ["data"] = data, ["metadata"] = Detach(output, "metadata"), ["transient"] = Transient(displayId),
                });
                break;
            }
            case "execute_result":
                if (silent) break;
                {
                    var data = Detach(output, "data");
                    EnsurePlotlyJs(parent, data);
                    Publish(parent, "execute_result", new JsonObject { ["execution_count"] = count, ["data"] = data, ["metadata"] = Detach(output, "metadata") });
                }
                break;
            case "error":
                lock (state) currentError = (JsonObject)output.DeepClone();
                Publish(parent, "error", new JsonObject
                {
                    ["ename"] = output["ename"]?.DeepClone() ?? "Error", ["evalue"] = output["evalue"]?.DeepClone() ?? "",
                    ["traceback"] = output["traceback"]?.DeepClone() ?? new JsonArray(),
                });
                break;
        }
    }

    /// <summary>
    /// Console text of the running cell: under the output limit (past it, a note once, the rest to the side file,
    /// the tail when the cell ends), then batched: one stream message every <see cref="StreamInterval"/>, not
    /// one per line (a cell printing 200,000 lines sent 200,000 messages, and front-ends lost most of them).
    /// </summary>
    void Stream(Message? parent, int cell, string name, string text)
    {
        lock (streamGate)
        {
            if (!capped.TryGetValue(name, out var limited))
            {
                // per execution (cellIndex counts them all; execution counts repeat for silent ones)
                var side = Path.Combine(Path.GetTempPath(), $"nbssl-kernel-{Environment.ProcessId}", $"execution{cell + 1}.{name}.txt");
                capped[name] = limited = new CappedText(OutputLimit, side, side);
            }
            var wasCut = limited.Cut;
            var shown = limited.Append(text);
            if (limited.Cut && !wasCut)
                shown += (shown.Length == 0 || shown.EndsWith('\n') ? "" : "\n")
                         + $"[... output past {OutputLimit.MaxLines:N0} lines or {OutputLimit.MaxChars:N0} characters is not shown; all of it goes to {limited.SideName}; its last lines follow when the cell ends ...]\n";
            if (shown.Length == 0) return;
            if (streamPending.Length > 0 && (streamName != name || !ReferenceEquals(streamParent, parent))) FlushStreamLocked();
            streamName = name;
            streamParent = parent;
            streamPending.Append(shown);
        }
    }

    void FlushStream()
    {
        lock (streamGate) FlushStreamLocked();
    }

    void FlushStreamLocked()
    {
        if (streamPending.Length == 0) return;
        var text = streamPending.ToString();
        streamPending.Clear();
        Publish(streamParent, "stream", new JsonObject { ["name"] = streamName ?? "stdout", ["text"] = text });
    }

    /// <summary>At the end of a cell, before its reply: what is pending, then (output over the limit) the note and the tail.</summary>
    void EndStreams()
    {
        Message? parent;
        lock (state) parent = current;
        lock (streamGate)
        {
            FlushStreamLocked();
            foreach (var (name, limited) in capped)
            {
                try
                {
                    var rest = limited.FinishShown();
                    if (rest.Length > 0) Publish(parent, "stream", new JsonObject { ["name"] = name, ["text"] = rest });
                }
                catch (IOException e) { Log($"the side file {limited.SideName} could not be written: {e.Message}"); }
                finally { limited.Dispose(); }
            }
            capped.Clear();
        }
    }

    void IExecutionListener.Update(int cell, string displayId, JsonObject output)
    {
        FlushStream();
        Message? parent;
        lock (state) parent = current;
        var data = Detach(output, "data");
        EnsurePlotlyJs(parent, data);
        Publish(parent, "update_display_data", new JsonObject { ["data"] = data, ["metadata"] = Detach(output, "metadata"), ["transient"] = Transient(displayId) });
    }

    static JsonObject Transient(string? displayId) =>
        displayId is null ? new JsonObject() : new JsonObject { ["display_id"] = displayId };

    static JsonObject Detach(JsonObject o, string key) =>
        o.Remove(key, out var node) && node is JsonObject obj ? obj : new JsonObject();

    void EnsurePlotlyJs(Message? parent, JsonObject data)
    {
        if (!PlotlyOffline.Rewrite(data, kernelName) && data.ContainsKey(PlotlyHtml.PlotlyMimeType) && !warnedPlotly)
        {
            warnedPlotly = true;
            Log("a chart's HTML has no loader this kernel knows: it loads plotly.js from the CDN");
        }
    }

    void ClearOutput(bool wait)
    {
        Message? parent;
        lock (state) parent = current;
        Console.Out.Flush();
        lock (streamGate)
        {
            FlushStreamLocked();
            // what was shown is cleared: the limit counts afresh (a progress line redrawn 10,000 times is not cut);
            // output already cut stays cut, its side file still taking the rest
            foreach (var name in capped.Where(c => !c.Value.Cut).Select(c => c.Key).ToList())
            {
                capped[name].Dispose();
                capped.Remove(name);
            }
        }
        Publish(parent, "clear_output", new JsonObject { ["wait"] = wait });
    }

    // ---- stdin ---------------------------------------------------------------------------------------------

    /// <summary>Console.ReadLine in a cell: asks the front-end (input_request on the stdin socket) and waits for its reply.</summary>
    string? RequestInput(string prompt, bool password)
    {
        Message? parent;
        bool allowed;
        lock (state) { parent = current; allowed = currentAllowStdin; }
        if (parent is null || !allowed)
            throw new InvalidOperationException("this front-end does not take input (allow_stdin is false): Console.ReadLine cannot read here");
        Console.Out.Flush();
        FlushStream();   // the prompt's context shows before the front-end asks
        var token = DisplayFunctions.cancellation;
        lock (stdinGate)
        {
            Send(stdin, wire.Create("input_request", new JsonObject { ["prompt"] = prompt, ["password"] = password }, parent));
            while (true)
            {
                token.ThrowIfCancellationRequested();
                if (stopping) return null;
                var m = Receive(stdin, "stdin");
                if (m?.Type == "input_reply") return m.Content["value"]?.GetValue<string>() ?? "";
            }
        }
    }

    sealed class StdinReader(KernelServer server) : TextReader
    {
        public override string? ReadLine() => server.RequestInput("", false);
        public override int Read() => -1;
        public override string ReadToEnd() => server.RequestInput("", false) ?? "";
    }

    // ---- complete, inspect, history -----------------------------------------------------------------------

    /// <summary>The UTF-16 offset of a cursor given in Unicode code points (protocol 5.2+).</summary>
    static int Utf16Offset(string code, int? codePoints)
    {
        if (codePoints is null) return code.Length;
        int i = 0;
        for (int n = 0; n < codePoints && i < code.Length; n++) i += char.IsHighSurrogate(code[i]) && i + 1 < code.Length ? 2 : 1;
        return i;
    }

    static int CodePoints(string code, int utf16) => code[..utf16].EnumerateRunes().Count();

    JsonObject Complete(string code, int? cursorPos)
    {
        var cursor = Utf16Offset(code, cursorPos);
        var (language, body) = Route(code);
        var offset = code.Length - body.Length;
        var matches = new List<string>();
        int start = cursor, end = cursor;
        if (cursor >= offset)
        {
            try
            {
                (start, end, matches) = language switch
                {
                    "csharp" => CSharpAssist.Complete(executor?.CSharp, body, cursor - offset),
                    "fsharp" => FSharpAssist.Complete(executor?.FSharpIfStarted, body, cursor - offset),
                    _ => (cursor - offset, cursor - offset, new List<string>()),
                };
                start += offset; end += offset;
            }
            catch (Exception e) when (e is not OutOfMemoryException) { Log($"complete failed: {e.Message}"); }
        }
        return new JsonObject
        {
            ["status"] = "ok", ["matches"] = new JsonArray(matches.Select(x => (JsonNode?)x).ToArray()),
            ["cursor_start"] = CodePoints(code, start), ["cursor_end"] = CodePoints(code, end), ["metadata"] = new JsonObject(),
        };
    }

    JsonObject Inspect(string code, int? cursorPos)
    {
        var cursor = Utf16Offset(code, cursorPos);
        var (language, body) = Route(code);
        var offset = code.Length - body.Length;
        string? text = null;
        if (cursor >= offset)
        {
            try
            {
                text = language switch
                {
                    "csharp" => CSharpAssist.Inspect(executor?.CSharp, body, cursor - offset),
                    "fsharp" => FSharpAssist.Inspect(executor?.FSharpIfStarted, body, cursor - offset),
                    _ => null,
                };
            }
            catch (Exception e) when (e is not OutOfMemoryException) { Log($"inspect failed: {e.Message}"); }
        }
        return new JsonObject
        {
            ["status"] = "ok", ["found"] = text is not null,
            ["data"] = text is null ? new JsonObject() : new JsonObject { ["text/plain"] = text },
            ["metadata"] = new JsonObject(),
        };
    }

    /// <summary>This session's inputs (session number 1; outputs are not kept): tail, range and glob search.</summary>
    JsonObject History(JsonObject c)
    {
        const int session = 1;
        var output = c["output"]?.GetValue<bool>() ?? false;
        IEnumerable<(int Line, string Code)> items = history;
        int? n = c["n"]?.GetValue<int>();
        switch (c["hist_access_type"]?.GetValue<string>())
        {
            case "tail":
                if (n is { } tail) items = history.TakeLast(tail);
                break;
            case "range":
                var s = c["session"]?.GetValue<int>() ?? 0;
                var start = c["start"]?.GetValue<int>() ?? 0;
                var stop = c["stop"]?.GetValue<int?>();
                items = s > 0 && s != session ? [] : history.Where(h => h.Line >= start && (stop is null || h.Line < stop));
                break;
            case "search":
                var pattern = "^" + Regex.Escape(c["pattern"]?.GetValue<string>() ?? "*").Replace("\\*", ".*").Replace("\\?", ".") + "$";
                var found = history.Where(h => Regex.IsMatch(h.Code, pattern, RegexOptions.Singleline));
                if (c["unique"]?.GetValue<bool>() == true)
                    found = found.Reverse().DistinctBy(h => h.Code).Reverse();
                items = n is { } k ? found.TakeLast(k) : found;
                break;
        }
        var list = new JsonArray();
        foreach (var (line, code) in items)
            list.Add(new JsonArray(session, line, output ? new JsonArray(code, null) : (JsonNode)code));
        return new JsonObject { ["status"] = "ok", ["history"] = list };
    }

    public void Dispose()
    {
        foreach (var s in new NetMQSocket[] { shell, control, stdin, iopub, heartbeat })
        {
            try { s.Dispose(); } catch (Exception e) when (e is not OutOfMemoryException) { /* closing anyway */ }
        }
        NetMQConfig.Cleanup(block: false);
    }
}
