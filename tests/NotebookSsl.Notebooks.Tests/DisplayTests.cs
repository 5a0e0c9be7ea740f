using NotebookSsl.Notebooks.Display;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>display/Update through a recording sink, in process.</summary>
[Collection(DisplayTests.Name)]
public sealed class DisplayTests
{
    public const string Name = "Kernel display sink (process-wide)";

    sealed class RecordingSink : IDisplaySink
    {
        public List<JsonObject> Shown { get; } = new();
        public List<(string Id, JsonObject Data)> Updates { get; } = new();
        public string Display(JsonObject data) { Shown.Add(data); return $"d{Shown.Count}"; }
        public void Update(string displayId, JsonObject data) => Updates.Add((displayId, data));
    }

    static Plotly.NET.GenericChart Curve(int n) =>
        Plotly.NET.CSharp.Chart.Line<int, double, string>(x: Enumerable.Range(0, n).ToArray(), y: Enumerable.Range(0, n).Select(i => 1.0 / (i + 1)).ToArray());

    [Fact]
    public void Fast_chart_updates_are_coalesced_and_the_last_one_is_drawn_when_flushed()
    {
        var sink = new RecordingSink();
        DisplayFunctions.SetSink(sink);
        try
        {
            var handle = DisplayFunctions.display(Curve(1));
            const int updates = 40;
            for (int n = 2; n <= updates + 1; n++) handle.Update(Curve(n));
            DisplayFunctions.FlushUpdates();
            Assert.Single(sink.Shown);
            Assert.InRange(sink.Updates.Count, 1, updates - 1);                  // some were skipped...
            Assert.All(sink.Updates, u => Assert.Equal(handle.DisplayId, u.Id));
            var last = sink.Updates[^1].Data["text/plain"]!.GetValue<string>();
            Assert.Contains($"{updates + 1} points", last);                       // ...but never the last one

            // values other than charts are drawn at once, every time
            var text = DisplayFunctions.display("a");
            sink.Updates.Clear();
            for (int i = 0; i < 5; i++) text.Update($"v{i}");
            Assert.Equal(["v0", "v1", "v2", "v3", "v4"], sink.Updates.Select(u => u.Data["text/plain"]!.GetValue<string>()));
        }
        finally { DisplayFunctions.SetSink(null); }
    }
}
