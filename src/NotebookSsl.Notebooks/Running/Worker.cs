using System.Text;
using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Execution;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// The child process side of <c>nbssl run</c>: runs a plan of cells and appends one JSON event per line to
/// an events file, flushed as it goes, so that if the process dies (a native abort in libtorch) the parent
/// still knows which cell was running and what it had shown.
/// </summary>
public static class Worker
{
    /// <summary>Exit code when a cell failed (its error is in the events file).</summary>
    public const int CellFailedExitCode = 3;

    /// <summary>Runs the plan; with <paramref name="echo"/>, cell console output and display text also stream to stderr.</summary>
    public static int Run(string planPath, string eventsPath, bool echo = false)
    {
        var progress = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };
        var plan = JsonNode.Parse(File.ReadAllText(planPath))!.AsObject();
        var baseDirectory = plan["baseDirectory"]!.GetValue<string>();
        var cells = plan["cells"]!.AsArray()
            .Select(c => new PlannedCell(c!["index"]!.GetValue<int>(), c["language"]!.GetValue<string>(), c["source"]!.GetValue<string>()))
            .ToList();
        using var events = new EventWriter(eventsPath, progress, echo);
        using var executor = new CellExecutor(baseDirectory, events);
        if (cells.Any(c => c.Language == "fsharp")) executor.WarmUpFSharp();
        for (int i = 0; i < cells.Count; i++)
            if (!executor.Run(cells[i], i + 1, cells.Count)) return CellFailedExitCode;
        events.Write(new JsonObject { ["event"] = "done" });
        return 0;
    }

    sealed class EventWriter(string path, TextWriter progress, bool echo) : IExecutionListener, IDisposable
    {
        readonly FileStream stream = new(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        readonly object gate = new();

        public void Write(JsonObject e)
        {
            var bytes = Encoding.UTF8.GetBytes(e.ToJsonString() + "\n");
            lock (gate) { stream.Write(bytes); stream.Flush(); }
        }

        public void CellStarted(PlannedCell cell, int ordinal, int total)
        {
            Write(new JsonObject { ["event"] = "start", ["cell"] = cell.Index, ["time"] = DateTimeOffset.UtcNow.ToString("o") });
            progress.Write($"[{ordinal}/{total}] cell {cell.Index + 1} ({cell.Language}) ... ");
            if (echo) progress.WriteLine();
        }

        public void Output(int cell, JsonObject output, string? displayId)
        {
            Write(new JsonObject { ["event"] = "output", ["cell"] = cell, ["display_id"] = displayId, ["output"] = output });
            if (echo) Echo(output, "");
        }

        public void Update(int cell, string displayId, JsonObject output)
        {
            Write(new JsonObject { ["event"] = "update", ["cell"] = cell, ["display_id"] = displayId, ["output"] = output });
            if (echo) Echo(output, "(updated) ");
        }

        void Echo(JsonObject output, string prefix)
        {
            var text = output["output_type"]?.GetValue<string>() switch
            {
                "stream" => output["text"]?.GetValue<string>(),
                "display_data" or "execute_result" => prefix + (output["data"]?["text/plain"]?.GetValue<string>() ?? "") + "\n",
                _ => null,
            };
            if (!string.IsNullOrEmpty(text)) progress.Write(text);
        }

        public void CellFinished(PlannedCell cell, int executionCount, DateTimeOffset start, TimeSpan elapsed, JsonObject? error)
        {
            Write(new JsonObject
            {
                ["event"] = "end", ["cell"] = cell.Index, ["execution_count"] = executionCount,
                ["start"] = start.ToString("o"), ["end"] = (start + elapsed).ToString("o"),
                ["seconds"] = Math.Round(elapsed.TotalSeconds, 3), ["ok"] = error is null,
            });
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

        public void Dispose() => stream.Dispose();
    }
}
