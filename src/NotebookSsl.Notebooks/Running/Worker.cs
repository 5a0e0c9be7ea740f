using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Execution;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// The child process side of <c>nbssl run</c>: runs a plan of cells and appends one <see cref="WorkerEvent"/>
/// per line to an events file, flushed as it goes, so that if the process dies (a native abort in libtorch)
/// the parent still knows which cell was running and what it had shown. The worker lives only as long as
/// its runner: it watches its stdin (a pipe the runner holds open) and ends itself, removing the runner's
/// work folder, when that pipe closes, as it does when the runner dies by any signal.
/// </summary>
internal static class Worker
{
    /// <summary>Exit code when a cell failed (its error is in the events file).</summary>
    public const int CellFailedExitCode = 3;

    /// <summary>Runs the plan; with <paramref name="echo"/>, cell console output and display text also stream to stderr.</summary>
    public static int Run(string planPath, string eventsPath, bool echo = false)
    {
        LeftoverProcesses.LeadOwnGroup();   // what the cells start stays findable, and killable, after we exit
        using var progress = new ProgressWriter();
        var plan = WorkerProtocol.ReadPlan(planPath);
        WatchParent(Path.GetDirectoryName(Path.GetFullPath(planPath))!);
        using var events = new EventWriter(eventsPath, progress, echo);
        using var executor = new CellExecutor(plan.BaseDirectory, events);
        if (plan.Cells.Any(c => c.Language == "fsharp")) executor.WarmUpFSharp();
        for (int i = 0; i < plan.Cells.Count; i++)
            if (!executor.Run(plan.Cells[i], i + 1, plan.Cells.Count)) return CellFailedExitCode;
        events.Write(new PlanDone());
        return 0;
    }

    /// <summary>
    /// Ends this process when stdin reaches end of file: the runner holds the pipe's other end until it has
    /// read our exit, so EOF means it died (SIGTERM, SIGKILL, a crash) and nobody will read what we write.
    /// A cell may be spinning in a loop, so this does not wait for it: it removes the work folder and kills
    /// the process, and with it the processes its cells started (its process group).
    /// </summary>
    static void WatchParent(string workFolder)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            try { Directory.Delete(workFolder, recursive: true); } catch (Exception) { /* the runner's start-up cleans what is left */ }
            LeftoverProcesses.EndOwnGroup();   // this process and what its cells started: nobody is left to end them
            Process.GetCurrentProcess().Kill();
        }) { IsBackground = true, Name = "nbssl parent watch" };
        thread.Start();
    }

    /// <summary>
    /// The worker's progress lines and echo, written to stderr by a thread of their own, in the order they were
    /// queued. Two reasons: a write to a Console stream takes the lock of <c>Console.Out</c> (see
    /// <see cref="CellExecutor.OpenStandardError"/>), which a cell thread holds while it prints; and nobody who holds
    /// the event writer's lock may wait for the console (the cell thread holds <c>Console.Out</c> and waits for
    /// that lock: a flush timer that echoed under it deadlocked <c>nbssl run --echo</c>). So stderr is opened by
    /// its descriptor, bypassing Console, and writers only queue text; a full queue (256 chunks of at most 64 KB)
    /// makes them wait for the writer thread, which takes no lock, so output cannot outrun the runner unbounded.
    /// </summary>
    internal sealed class ProgressWriter : IDisposable
    {
        readonly System.Collections.Concurrent.BlockingCollection<string> queue = new(boundedCapacity: 256);
        readonly Stream stderr;
        readonly Thread thread;

        public ProgressWriter(Stream? to = null)
        {
            stderr = to ?? CellExecutor.OpenStandardError();
            thread = new Thread(Drain) { IsBackground = true, Name = "nbssl progress" };
            thread.Start();
        }

        public void Write(string text) { if (text.Length > 0) queue.Add(text); }

        public void WriteLine(string text = "") => queue.Add(text + "\n");

        void Drain()
        {
            var utf8 = new UTF8Encoding(false);
            foreach (var text in queue.GetConsumingEnumerable())
            {
                try { stderr.Write(utf8.GetBytes(text)); stderr.Flush(); }
                catch (IOException) { /* the runner is gone; the parent watch ends this process */ }
            }
        }

        public void Dispose()
        {
            queue.CompleteAdding();
            thread.Join();
        }
    }

    /// <summary>
    /// Writes events. Stream text is batched: a write that comes within 50 ms of the previous one waits (at
    /// most 50 ms, or until 64 KB are pending, or until any other event), so a cell printing 100,000 lines
    /// costs a few hundred events, not 100,000. The first stream write after any other event (a cell's start,
    /// a display) and a write 50 ms after the last flushed one go out at once, so the line a cell prints just
    /// before a native abort kills the process is kept.
    /// </summary>
    sealed class EventWriter : IExecutionListener, IDisposable
    {
        const int MaxPendingChars = 64 * 1024;
        static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

        readonly FileStream stream;
        readonly ProgressWriter progress;
        readonly bool echo;
        readonly object gate = new();
        readonly StringBuilder pending = new();
        readonly Timer timer;
        int pendingCell = -1;
        string? pendingName;
        long lastStreamFlush;   // 0: the next stream write goes out at once
        bool disposed;          // a timer callback may still run after Dispose: it must not write to the closed file

        public EventWriter(string path, ProgressWriter progress, bool echo)
        {
            stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
            this.progress = progress;
            this.echo = echo;
            timer = new Timer(_ => { lock (gate) if (!disposed) FlushStream(); }, null, Interval, Interval);
        }

        public void Write(WorkerEvent e)
        {
            lock (gate)
            {
                FlushStream();
                WriteNow(e);
                lastStreamFlush = 0;
            }
        }

        void WriteNow(WorkerEvent e)
        {
            stream.Write(WorkerProtocol.Line(e));
            stream.Flush();
        }

        void Stream(int cell, string name, string text)
        {
            lock (gate)
            {
                if (pending.Length > 0 && (pendingCell != cell || pendingName != name)) FlushStream();
                pendingCell = cell;
                pendingName = name;
                pending.Append(text);
                if (pending.Length >= MaxPendingChars || lastStreamFlush == 0 || Stopwatch.GetElapsedTime(lastStreamFlush) >= Interval) FlushStream();
            }
        }

        void FlushStream()
        {
            if (pending.Length == 0) return;
            var text = pending.ToString();
            pending.Clear();
            WriteNow(new CellOutput(pendingCell, null, new JsonObject { ["output_type"] = "stream", ["name"] = pendingName, ["text"] = text }));
            lastStreamFlush = Stopwatch.GetTimestamp();
            if (echo) progress.Write(text);   // only queued: the progress thread writes it, outside this lock
        }

        public void CellStarted(PlannedCell cell, int ordinal, int total)
        {
            Write(new CellStarted(cell.Index, DateTimeOffset.UtcNow));
            progress.Write($"[{ordinal}/{total}] cell {cell.Index + 1} ({cell.Language}) ... ");
            if (echo) progress.WriteLine();
        }

        public void Output(int cell, JsonObject output, string? displayId)
        {
            if (output["output_type"]?.GetValue<string>() == "stream" && displayId is null)
            {
                Stream(cell, output["name"]?.GetValue<string>() ?? "stdout", output["text"]?.GetValue<string>() ?? "");
                return;
            }
            Write(new CellOutput(cell, displayId, output));
            if (echo) Echo(output, "");
        }

        public void Update(int cell, string displayId, JsonObject output)
        {
            Write(new DisplayUpdated(cell, displayId, output));
            if (echo) Echo(output, "(updated) ");
        }

        void Echo(JsonObject output, string prefix)
        {
            var text = output["output_type"]?.GetValue<string>() switch
            {
                "display_data" or "execute_result" => prefix + (output["data"]?["text/plain"]?.GetValue<string>() ?? "") + "\n",
                _ => null,
            };
            if (!string.IsNullOrEmpty(text)) progress.Write(text);
        }

        public void CellFinished(PlannedCell cell, int executionCount, DateTimeOffset start, TimeSpan elapsed, JsonObject? error)
        {
            Write(new CellEnded(cell.Index, executionCount, start, start + elapsed, Math.Round(elapsed.TotalSeconds, 3), error is null));
            progress.WriteLine(error is null
                ? $"{elapsed.TotalSeconds:0.00}s"
                : $"FAILED after {elapsed.TotalSeconds:0.00}s: {error["ename"]}: {FirstLine(error)}");
        }

        static string FirstLine(JsonObject error)
        {
            var t = error["traceback"] is JsonArray a && a.Count > 0 && error["ename"]?.GetValue<string>() == "CompilationError"
                ? a[0]!.GetValue<string>() : error["evalue"]?.GetValue<string>() ?? "";
            return t.Split('\n')[0];
        }

        public void Dispose()
        {
            timer.Dispose();
            lock (gate)
            {
                FlushStream();
                disposed = true;
                stream.Dispose();
            }
        }
    }
}
