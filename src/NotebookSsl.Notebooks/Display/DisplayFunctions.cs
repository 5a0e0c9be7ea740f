using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Display;

/// <summary>Where display calls go while a notebook runs (the worker sets one).</summary>
public interface IDisplaySink
{
    /// <summary>Shows a new output; returns its display id.</summary>
    string Display(JsonObject data);
    /// <summary>Replaces the output shown under <paramref name="displayId"/>.</summary>
    void Update(string displayId, JsonObject data);
}

/// <summary>
/// Globals for notebook cells, in C# (imported statically) and F# (opened): <c>display(x)</c> shows a value
/// with the richest formatter that fits and returns a handle whose <c>Update(y)</c> redraws it in place.
/// </summary>
public static class DisplayFunctions
{
    static readonly object Gate = new();
    static IDisplaySink? sink;

    /// <summary>
    /// The running cell's cancellation: cancelled when the user interrupts the cell (Jupyter's interrupt).
    /// Pass it to long loops, e.g. <c>Trainer.Steps(..., cancel: cancellation)</c>, so they stop between steps.
    /// </summary>
    public static CancellationToken cancellation { get; internal set; }

    /// <summary>Values handed between languages by <c>#!share</c> (by reference).</summary>
    public static Dictionary<string, object?> Shared { get; } = new();

    /// <summary>Installs the sink display calls go to; null prints text to the console instead.</summary>
    public static void SetSink(IDisplaySink? value) { lock (Gate) sink = value; }

    /// <summary>Shows <paramref name="value"/> as a cell output.</summary>
    public static DisplayHandle display(object? value) => Show(Formatter.Format(value));

    /// <summary>Shows a string as the given MIME type (e.g. "text/html"), or any value formatted as usual.</summary>
    public static DisplayHandle display(object? value, string mimeType) =>
        Show(value is string s ? new JsonObject { [mimeType] = s, ["text/plain"] = mimeType == "text/plain" ? s : $"<{mimeType}>" } : Formatter.Format(value));

    static readonly List<DisplayHandle> pendingUpdates = new();

    internal static void Pending(DisplayHandle handle) { lock (pendingUpdates) pendingUpdates.Add(handle); }

    /// <summary>Draws the updates that were held back to keep a fast loop fast (the engine calls this when a cell ends).</summary>
    public static void FlushUpdates()
    {
        List<DisplayHandle> handles;
        lock (pendingUpdates) { handles = pendingUpdates.ToList(); pendingUpdates.Clear(); }
        foreach (var h in handles) h.Flush();
    }

    /// <summary>Shows raw HTML.</summary>
    public static DisplayHandle html(string markup) => display(markup, "text/html");

    /// <summary>An image tensor ([C,H,W] or [N,C,H,W], C = 1 or 3) as a PNG; values are min-max scaled to [0,1] when <paramref name="normalize"/>.</summary>
    public static PngImage image(TorchSharp.torch.Tensor tensor, bool normalize = false) => ImageTensors.ToPng(tensor, normalize);

    static DisplayHandle Show(JsonObject data)
    {
        IDisplaySink? s;
        lock (Gate) s = sink;
        if (s is null)
        {
            Console.WriteLine(data["text/plain"]?.GetValue<string>() ?? "");
            return new DisplayHandle("", null);
        }
        return new DisplayHandle(s.Display(data), s);
    }
}

/// <summary>
/// A displayed output that can be redrawn in place. Charts are costly to serialise, so chart updates that
/// come faster than the formatter keeps up with are coalesced: the latest one is kept and drawn at the
/// next update that is due, or when the cell ends (<see cref="DisplayFunctions.FlushUpdates"/>). The last value
/// always wins.
/// </summary>
public sealed class DisplayHandle
{
    static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);
    readonly IDisplaySink? sink;
    readonly object gate = new();
    object? pending;
    bool hasPending;
    long lastDrawn;
    TimeSpan interval = TimeSpan.Zero;

    internal DisplayHandle(string id, IDisplaySink? sink) { DisplayId = id; this.sink = sink; }

    public string DisplayId { get; }

    /// <summary>Replaces the displayed output with <paramref name="value"/>.</summary>
    public void Update(object? value)
    {
        if (sink is not null && value is Plotly.NET.GenericChart)
        {
            lock (gate)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastDrawn) < interval)
                {
                    pending = value;
                    if (!hasPending) { hasPending = true; DisplayFunctions.Pending(this); }
                    return;
                }
            }
        }
        Draw(value);
    }

    internal void Flush()
    {
        object? value;
        lock (gate)
        {
            if (!hasPending) return;
            value = pending; pending = null; hasPending = false;
        }
        Draw(value);
    }

    void Draw(object? value)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var data = Formatter.Format(value);
        if (sink is null) { Console.WriteLine(data["text/plain"]?.GetValue<string>() ?? ""); return; }
        sink.Update(DisplayId, data);
        lock (gate)
        {
            pending = null; hasPending = false;
            lastDrawn = System.Diagnostics.Stopwatch.GetTimestamp();
            // redraw at most every 0.5 s, or 5x the time a redraw takes (the formatter's share stays under 20%)
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            interval = value is Plotly.NET.GenericChart ? TimeSpan.FromTicks(Math.Max(MinInterval.Ticks, took.Ticks * 5)) : TimeSpan.Zero;
        }
    }

    public override string ToString() => $"display {DisplayId}";
}

/// <summary><c>x.Display()</c> for any value.</summary>
public static class DisplayExtensions
{
    public static DisplayHandle Display(this object? value) => DisplayFunctions.display(value);
    public static DisplayHandle DisplayAs(this string value, string mimeType) => DisplayFunctions.display(value, mimeType);
}
