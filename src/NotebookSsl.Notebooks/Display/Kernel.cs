using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks;

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
public static class Kernel
{
    static readonly object Gate = new();
    static IDisplaySink? sink;

    /// <summary>Values handed between languages by <c>#!share</c> (by reference).</summary>
    public static Dictionary<string, object?> Shared { get; } = new();

    /// <summary>Installs the sink display calls go to; null prints text to the console instead.</summary>
    public static void SetSink(IDisplaySink? value) { lock (Gate) sink = value; }

    /// <summary>Shows <paramref name="value"/> as a cell output.</summary>
    public static DisplayHandle display(object? value) => Show(Formatter.Format(value));

    /// <summary>Shows a string as the given MIME type (e.g. "text/html"), or any value formatted as usual.</summary>
    public static DisplayHandle display(object? value, string mimeType) =>
        Show(value is string s ? new JsonObject { [mimeType] = s, ["text/plain"] = mimeType == "text/plain" ? s : $"<{mimeType}>" } : Formatter.Format(value));

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

/// <summary>A displayed output that can be redrawn in place.</summary>
public sealed class DisplayHandle
{
    readonly IDisplaySink? sink;
    internal DisplayHandle(string id, IDisplaySink? sink) { DisplayId = id; this.sink = sink; }

    public string DisplayId { get; }

    /// <summary>Replaces the displayed output with <paramref name="value"/>.</summary>
    public void Update(object? value)
    {
        var data = Formatter.Format(value);
        if (sink is null) Console.WriteLine(data["text/plain"]?.GetValue<string>() ?? "");
        else sink.Update(DisplayId, data);
    }

    public override string ToString() => $"display {DisplayId}";
}

/// <summary><c>x.Display()</c> for any value.</summary>
public static class DisplayExtensions
{
    public static DisplayHandle Display(this object? value) => Kernel.display(value);
    public static DisplayHandle DisplayAs(this string value, string mimeType) => Kernel.display(value, mimeType);
}
