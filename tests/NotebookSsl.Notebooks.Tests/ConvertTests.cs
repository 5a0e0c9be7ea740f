using System.Text.Json.Nodes;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Running;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>The .dib is the source; `nbssl convert` writes the committed .ipynb.</summary>
public sealed class ConvertTests
{
    const string Source = "#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"aliases\":[],\"name\":\"csharp\"},{\"aliases\":[],\"name\":\"fsharp\"}]}}\n\n"
        + "#!markdown\n\n# Title\n\n#!csharp\n\n// Parameters (override with --param)\nvar size = \"smoke\";\n\n#!fsharp\n\nlet x = 1\n\n#!csharp\n\nConsole.WriteLine(size);\n";

    [Fact]
    public void A_dib_becomes_an_ipynb_without_outputs_with_the_nbssl_kernelspec_and_marked_fsharp_cells()
    {
        var nb = JsonNode.Parse(NotebookConversion.DibToIpynb(Source))!.AsObject();
        var meta = nb["metadata"]!;
        Assert.Equal("nbssl-csharp", meta["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("C# (nbssl)", meta["kernelspec"]!["display_name"]!.GetValue<string>());
        Assert.Equal("csharp", meta["kernelspec"]!["language"]!.GetValue<string>());
        Assert.Equal("csharp", meta["language_info"]!["name"]!.GetValue<string>());
        Assert.Equal("csharp", meta["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>());
        var cells = nb["cells"]!.AsArray();
        Assert.Equal(["markdown", "code", "code", "code"], cells.Select(c => c!["cell_type"]!.GetValue<string>()));
        Assert.Equal(["parameters"], cells[1]!["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("#!fsharp\nlet x = 1", Nbssl.Text(cells[2]!["source"]));
        Assert.Equal("fsharp", cells[2]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        Assert.All(cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code"), c =>
        {
            Assert.Empty(c!["outputs"]!.AsArray());
            Assert.Null(c["execution_count"]);
        });
        // deterministic (the check compares text) and the way back gives the same source
        Assert.Equal(NotebookConversion.DibToIpynb(Source), NotebookConversion.DibToIpynb(Source));
        Assert.Equal(Source, NotebookConversion.IpynbToDib(NotebookConversion.DibToIpynb(Source)));
    }

    [Fact]
    public void The_converted_notebook_reads_back_with_the_same_languages_and_parameters()
    {
        var doc = Ipynb.Read(NotebookConversion.DibToIpynb(Source));
        var code = doc.Cells.Where(c => c.Kind == CellKind.Code).ToList();
        Assert.Equal(["csharp", "fsharp", "csharp"], code.Select(Parameters.NotebookParameters.EffectiveLanguage));
        Assert.True(code[0].HasTag("parameters"));
    }

    [Fact]
    public void Check_lists_a_stale_or_missing_ipynb_and_passes_when_all_match()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.dib"), Source);
            var (convert, _) = Nbssl.Run("convert", Path.Combine(dir, "a.dib"));
            Assert.Equal(0, convert);
            Assert.True(File.Exists(Path.Combine(dir, "a.ipynb")));
            Assert.Equal(0, Nbssl.Run("convert", "--check", dir).ExitCode);

            File.WriteAllText(Path.Combine(dir, "a.dib"), Source.Replace("# Title", "# Edited"));
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllText(Path.Combine(dir, "sub", "b.dib"), Source);
            var (exit, log) = Nbssl.Run("convert", "--check", dir);
            Assert.Equal(1, exit);
            Assert.Contains(Path.Combine(dir, "a.ipynb") + ": differs from its .dib", log);
            Assert.Contains(Path.Combine(dir, "sub", "b.ipynb") + ": differs from its .dib", log);
            Assert.Contains("2 notebook(s) out of date", log);
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void The_repositorys_notebooks_match_their_dib_sources()
    {
        var notebooks = Path.Combine(Nbssl.RepositoryRoot, "notebooks");
        Assert.NotEmpty(Directory.GetFiles(notebooks, "*.dib"));
        Assert.Empty(NotebookConversion.Stale(notebooks));
        // a committed notebook carries outputs only as a published run (nbssl publish): one that ran to the end,
        // whose injected-parameters cell states the size it ran at
        foreach (var ipynb in Directory.GetFiles(notebooks, "*.ipynb"))
        {
            var nb = Nbssl.ReadNotebook(ipynb);
            var code = Nbssl.Cells(nb).Where(c => c!["cell_type"]!.GetValue<string>() == "code").ToList();
            if (code.All(c => c!["outputs"]!.AsArray().Count == 0)) continue;
            Assert.True(nb["metadata"]?["nbssl"]?["run"]?["status"]?.GetValue<string>() == "ok", $"{ipynb} carries outputs but is not a run that ended ok");
            Assert.Contains(code, c => Nbssl.Text(c!["source"]).Contains("var size = ") && (c!["metadata"]?["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "injected-parameters") ?? false));
        }
    }
}

public sealed class ProtocolTests
{
    [Fact]
    public void Every_event_and_the_plan_round_trip_through_the_one_serializer()
    {
        var t = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        WorkerEvent[] events =
        [
            new CellStarted(3, t),
            new CellOutput(3, "d1", new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/plain"] = "x" } }),
            new DisplayUpdated(3, "d1", new JsonObject { ["output_type"] = "display_data", ["data"] = new JsonObject { ["text/plain"] = "y" } }),
            new CellEnded(3, 1, t, t.AddSeconds(2), 2.0, false),
            new PlanDone(),
        ];
        var dir = Nbssl.NewOutDir();
        try
        {
            var path = Path.Combine(dir, "events.jsonl");
            using (var f = File.Create(path))
                foreach (var e in events) f.Write(WorkerProtocol.Line(e));
            File.AppendAllText(path, "{\"event\":\"output\",\"cell\":");   // a killed worker's last line, cut short
            var back = WorkerProtocol.ReadEvents(path);
            Assert.Equal(events.Length, back.Count);
            Assert.Equal(events[0], back[0]);
            Assert.Equal("d1", ((CellOutput)back[1]).DisplayId);
            Assert.Equal("y", ((DisplayUpdated)back[2]).Output["data"]!["text/plain"]!.GetValue<string>());
            Assert.Equal(events[3], back[3]);
            Assert.IsType<PlanDone>(back[4]);
            Assert.StartsWith("{\"event\":\"start\",\"cell\":3,", System.Text.Encoding.UTF8.GetString(WorkerProtocol.Line(events[0])));

            var plan = new WorkerPlan("/nb", [new Execution.PlannedCell(2, "fsharp", "let x = 1")]);
            File.WriteAllText(Path.Combine(dir, "plan.json"), WorkerProtocol.Serialize(plan));
            var read = WorkerProtocol.ReadPlan(Path.Combine(dir, "plan.json"));
            Assert.Equal("/nb", read.BaseDirectory);
            Assert.Equal(plan.Cells, read.Cells);
        }
        finally { Nbssl.Delete(dir); }
    }
}
