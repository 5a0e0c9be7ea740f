using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using NotebookSsl.Notebooks.Execution;

namespace NotebookSsl.Notebooks.Running;

/// <summary>What the runner hands its worker (plan.json): the folder cells run in and the code cells to run.</summary>
internal sealed record WorkerPlan(string BaseDirectory, IReadOnlyList<PlannedCell> Cells);

/// <summary>
/// One line of the worker's events file (events.jsonl), appended and flushed as it happens so that the
/// runner still knows the running cell and what it showed when the worker dies. The <c>event</c> property
/// says which record a line is.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(CellStarted), "start")]
[JsonDerivedType(typeof(CellOutput), "output")]
[JsonDerivedType(typeof(DisplayUpdated), "update")]
[JsonDerivedType(typeof(CellEnded), "end")]
[JsonDerivedType(typeof(PlanDone), "done")]
internal abstract record WorkerEvent;

/// <summary>A cell (by its index in the notebook) began.</summary>
internal sealed record CellStarted(int Cell, DateTimeOffset Time) : WorkerEvent;

/// <summary>A new nbformat output of a cell; <see cref="DisplayId"/> is set for display_data that can be updated.</summary>
internal sealed record CellOutput(int Cell, string? DisplayId, JsonObject Output) : WorkerEvent;

/// <summary>An output shown earlier under <see cref="DisplayId"/> was redrawn.</summary>
internal sealed record DisplayUpdated(int Cell, string DisplayId, JsonObject Output) : WorkerEvent;

/// <summary>A cell finished, ok or with the error it reported as an output.</summary>
internal sealed record CellEnded(int Cell, int ExecutionCount, DateTimeOffset Start, DateTimeOffset End, double Seconds, bool Ok) : WorkerEvent;

/// <summary>Every cell of the plan ran.</summary>
internal sealed record PlanDone : WorkerEvent;

/// <summary>The one serializer setup both sides use for the plan and the events.</summary>
internal static class WorkerProtocol
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize(WorkerPlan plan) => JsonSerializer.Serialize(plan, Json);

    public static WorkerPlan ReadPlan(string path) =>
        JsonSerializer.Deserialize<WorkerPlan>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"empty worker plan {path}");

    /// <summary>One event as one line of UTF-8 JSON, newline included.</summary>
    public static byte[] Line(WorkerEvent e) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(e, Json) + "\n");

    /// <summary>The events a worker wrote; a last line cut short by a killed worker ends the list.</summary>
    public static List<WorkerEvent> ReadEvents(string path) => EnumerateEvents(path).ToList();

    /// <summary>
    /// The events a worker wrote, read one at a time: a cell that printed a gigabyte wrote a gigabyte of events,
    /// and the runner must not hold them all. A last line cut short by a killed worker ends the sequence.
    /// </summary>
    public static IEnumerable<WorkerEvent> EnumerateEvents(string path)
    {
        if (!File.Exists(path)) yield break;
        using var reader = new StreamReader(path, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            WorkerEvent? e;
            try { e = JsonSerializer.Deserialize<WorkerEvent>(line, Json); }
            catch (JsonException) { yield break; }
            if (e is not null) yield return e;
        }
    }
}
