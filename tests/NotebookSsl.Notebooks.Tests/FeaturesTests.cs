using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StbImageSharp;

namespace NotebookSsl.Notebooks.Tests;

[Collection(NbsslRuns.Name)]
public sealed class FeaturesTests(FeaturesRun run)
{
    JsonObject Nb => run.Notebook;
    int Cell(string fragment) => Nbssl.CellIndexContaining(Nb, fragment);

    [Fact]
    public void Runs_to_the_end_with_exit_code_zero_and_writes_valid_polyglot_notebook()
    {
        Assert.True(run.ExitCode == 0, run.Log);
        Nbssl.AssertValidPolyglotNotebook(Nb);
        Nbssl.AssertNothingHalfWritten(run.OutDir);
        Assert.Equal("ok", Nb["metadata"]!["nbssl"]!["run"]!["status"]!.GetValue<string>());
        // every code cell ran, in order, with its timing
        var counts = Nbssl.Cells(Nb).Where(c => c!["cell_type"]!.GetValue<string>() == "code")
            .Select(c => c!["execution_count"]!.GetValue<int>()).ToList();
        Assert.Equal(Enumerable.Range(1, counts.Count), counts);
        // each cell's time is positive, and together they fit in the run's
        var durations = Nbssl.Cells(Nb).Where(c => c!["cell_type"]!.GetValue<string>() == "code")
            .Select(c => c!["metadata"]!["nbssl"]!["duration_s"]!.GetValue<double>()).ToList();
        Assert.All(durations, d => Assert.True(d > 0, $"a cell took {d} s"));
        double runSeconds = Nb["metadata"]!["nbssl"]!["run"]!["duration_s"]!.GetValue<double>();
        Assert.True(durations.Sum() <= runSeconds, $"the cells took {durations.Sum()} s of a {runSeconds} s run");
        Assert.Matches(@"\[\d+/\d+\] cell \d+ \(fsharp\) \.\.\. \d+\.\d+s", run.Log);
    }

    [Fact]
    public void Records_parameters_and_environment_in_notebook_metadata()
    {
        var meta = Nb["metadata"]!["nbssl"]!;
        Assert.Equal(FeaturesRun.Epochs.ToString(CultureInfo.InvariantCulture), meta["parameters"]!["epochs"]!.GetValue<string>());
        Assert.Equal("quick", meta["parameters"]!["size"]!.GetValue<string>());
        var env = meta["environment"]!;
        foreach (var key in new[] { "os", "dotnet", "torchsharp", "machine", "timestamp", "omp_wait_policy" })
            Assert.False(string.IsNullOrWhiteSpace(env[key]?.ToString()), key);
        Assert.Equal(typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), env["torchsharp"]!.GetValue<string>());
        if (InsideGitCheckout()) Assert.Matches("^[0-9a-f]{40}$", env["git_commit"]!.GetValue<string>());
    }

    static bool InsideGitCheckout()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, ".git")) || File.Exists(Path.Combine(d.FullName, ".git"))) return true;
        return false;
    }

    [Fact]
    public void Injects_typed_parameter_overrides_after_the_parameters_cell()
    {
        var p = Cell("// parameters");
        var injected = Nbssl.Cells(Nb)[p + 1]!;
        Assert.Contains("injected-parameters", injected["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var src = Nbssl.Text(injected["source"]);
        Assert.Contains($"var epochs = {FeaturesRun.Epochs};", src);
        Assert.Contains("var size = \"quick\";", src);
        // the override took effect, with the declared types (string, int) and the untouched defaults
        var stdout = Nbssl.Stream(Nb, Cell("params: size"));
        Assert.Contains($"params: size=quick epochs={FeaturesRun.Epochs} lr=0.5 verbose=False (String, Int32, Double, Boolean)", stdout);
    }

    [Fact]
    public void Captures_console_out_and_error_per_cell_and_accepts_carried_nuget_and_dll_references()
    {
        var c = Cell("params: size");
        Assert.Contains("a warning on stderr", Nbssl.Stream(Nb, c, "stderr"));
        Assert.DoesNotContain("a warning on stderr", Nbssl.Stream(Nb, c, "stdout"));
        Assert.DoesNotContain(Nbssl.Outputs(Nb, c), o => o!["output_type"]!.GetValue<string>() == "error");
        Assert.Contains("#r \"nuget: Plotly.NET, 6.0.0\"", Nbssl.Text(Nbssl.Cells(Nb)[c]!["source"]));
    }

    [Fact]
    public void Display_update_replaces_the_loss_chart_in_place_so_the_last_value_wins()
    {
        var c = Cell("var lossDisplay = display(LossChart());");
        var charts = Nbssl.Outputs(Nb, c).Where(o => o!["output_type"]!.GetValue<string>() == "display_data").ToList();
        Assert.Single(charts);
        var html = Nbssl.Text(charts[0]!["data"]!["text/html"]);
        Assert.Contains("data-nbssl-plotly", html);
        var figure = JsonNode.Parse(Regex.Match(html, @"var fig = (\{.*?\});\n").Groups[1].Value)!;
        var y = figure["data"]![0]!["y"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var steps = FeaturesRun.Epochs * 2;
        Assert.Equal(steps, y.Length);
        Assert.Equal(1.0 / steps, y[^1], 9);
        Assert.Contains($"after {steps} steps", Nbssl.Stream(Nb, c));
    }

    [Fact]
    public void Formats_image_tensors_as_png_dataframes_as_tables_tensors_as_text_and_values_as_plain_text()
    {
        var c = Cell("var ramp = ");
        var outputs = Nbssl.Outputs(Nb, c).Select(o => o!.AsObject()).ToList();
        var image = outputs.Single(o => o["data"]?["image/png"] is not null);
        var png = ImageResult.FromMemory(Convert.FromBase64String(Nbssl.Text(image["data"]!["image/png"])), ColorComponents.RedGreenBlue);
        Assert.True(png.Width > png.Height * 2, $"three images side by side, got {png.Width}x{png.Height}");
        Assert.True(png.Height >= 16);
        Assert.Contains("Tensor [3, 1, 16, 16] float32", Nbssl.Text(image["data"]!["text/plain"]));
        // the ramp image: dark at the top left, light at the bottom right of the first tile
        int Pixel(int x, int y) => png.Data[(y * png.Width + x) * 3];
        Assert.True(Pixel(4, 4) < Pixel(png.Height / 2, png.Height - 5), "first tile gets lighter downwards");

        var table = outputs.Single(o => o["data"]?["text/html"] is { } h && Nbssl.Text(h).Contains("<table"));
        var tableHtml = Nbssl.Text(table["data"]!["text/html"]);
        Assert.Contains("<th>epoch</th>", tableHtml);
        Assert.Contains("<td>0.125</td>", tableHtml);

        Assert.Contains(outputs, o => Nbssl.Text(o["data"]?["text/plain"]) == "shown by the Display() extension");
        var result = outputs.Single(o => o["output_type"]!.GetValue<string>() == "execute_result");
        var text = Nbssl.Text(result["data"]!["text/plain"]);
        Assert.StartsWith("Tensor [2, 3] int64", text);
        Assert.Contains("[3, 4, 5]", text);
        Assert.Null(result["data"]!["image/png"]);
    }

    [Fact]
    public void Shares_values_both_ways_by_reference()
    {
        // F# adds 1 in place to the C# zeros(3) and appends to the C# list; C# then sees both changes
        Assert.Contains("F# sees shared sum = 3, labels = [\"a\"; \"b\"; \"c\"]", Nbssl.Stream(Nb, Cell("#!share --from csharp shared")));
        var back = Nbssl.Stream(Nb, Cell("#!share --from fsharp fromFSharp"));
        Assert.Contains("C# sees shared sum = 3, names = a,b,c", back);
        Assert.Contains("fsSteps = 3 items of Double", back);
        // C# multiplies the F# ones(2) by 5 in place; F# sees 10
        Assert.Contains("F# sees fromFSharp sum = 10", Nbssl.Stream(Nb, Cell("F# sees fromFSharp")));
    }

    [Fact]
    public void FSharp_cells_display_charts_values_and_trailing_expressions()
    {
        var c = Cell("#!share --from csharp shared");
        Assert.Equal("fsharp", Nbssl.Cells(Nb)[c]!["metadata"]!["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        var outputs = Nbssl.Outputs(Nb, c).Select(o => o!.AsObject()).ToList();
        Assert.Contains(outputs, o => Nbssl.Text(o["data"]?["text/html"]).Contains("from F#"));
        Assert.Contains(outputs, o => o["output_type"]!.GetValue<string>() == "display_data" && Nbssl.Text(o["data"]!["text/plain"]) == "42");
        var result = outputs.Single(o => o["output_type"]!.GetValue<string>() == "execute_result");
        Assert.Equal("[1.0; 0.5; 0.25]", Nbssl.Text(result["data"]!["text/plain"]));
    }

    [Fact]
    public void Html_report_is_self_contained_with_plotly_embedded_once_and_markdown_rendered()
    {
        var html = run.Html;
        Assert.Contains("<meta charset=\"UTF-8\">", html);
        Assert.Single(Regex.Matches(html, Regex.Escape("embedded once from Plotly.NET")));
        Assert.Single(Regex.Matches(html, @"plotly\.js v\d+\.\d+\.\d+"));   // plotly.js's own banner
        Assert.Equal(2, Regex.Matches(html, "data-nbssl-plotly=").Count);
        Assert.DoesNotContain("<script src=", html);
        Assert.Contains("<h1 id=\"engine-features\">Engine features</h1>", html);
        Assert.Contains("<strong>every</strong>", html);
        Assert.Contains("<th style=\"text-align: right;\">value</th>", html);
        Assert.Contains("<a href=\"https://plotly.net\">Plotly.NET</a>", html);
        Assert.Contains("$a_i * b_i$", html);
        Assert.Contains("data:image/png;base64,", html);
        Assert.Contains("a warning on stderr", html);
    }
}
