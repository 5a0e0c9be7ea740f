using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>
/// `nbssl publish` on Samples/charts.dib in a fake repository: the executed notebook over the committed one, the report
/// and the gallery; a failed run leaves them as they were; `convert --check` ignores the published outputs. And the
/// static images beside the charts, with and without a browser.
/// </summary>
public sealed class PublishTests : IDisposable
{
    const string Chromium = "/usr/bin/chromium";
    readonly string root = Nbssl.NewOutDir();
    string Notebooks => Path.Combine(root, "notebooks");
    string Reports => Path.Combine(root, "docs", "reports");
    string Ipynb => Path.Combine(Notebooks, "charts.ipynb");
    string Report => Path.Combine(Reports, "charts.html");

    public PublishTests()
    {
        Directory.CreateDirectory(Path.Combine(Notebooks, "results"));
        File.Copy(Nbssl.Sample("charts.dib"), Path.Combine(Notebooks, "charts.dib"));
        // one claim that clearly holds (a far above b, three seeds each): the gallery counts it
        File.WriteAllText(Path.Combine(Notebooks, "results", "charts-quick.json"), """
            {"claims": [{"section": "00", "experiment": "x", "claim": "a beats b", "expect": "a>b",
              "a": {"name": "a", "values": [80, 81, 80]}, "b": {"name": "b", "values": [60, 61, 60]}}]}
            """);
        Assert.Equal(0, Nbssl.Run("convert", Path.Combine(Notebooks, "charts.dib")).ExitCode);
    }

    public void Dispose() => Nbssl.Delete(root);

    (int ExitCode, string Log) Publish(params string[] extra) =>
        Nbssl.Run(["publish", Path.Combine(Notebooks, "charts.dib"), "--reports", Reports, "--out", Path.Combine(root, "out"), .. extra]);

    static List<JsonObject> ChartBundles(JsonObject nb) =>
        Nbssl.Cells(nb).SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .Select(o => o!["data"] as JsonObject).Where(d => d?["application/vnd.plotly.v1+json"] is not null).Cast<JsonObject>().ToList();

    [Fact]
    public void Publish_writes_the_executed_notebook_its_report_and_the_gallery_and_a_failed_run_changes_nothing()
    {
        var (code, log) = Publish();
        Assert.True(code == 0, log);
        var nb = Nbssl.ReadNotebook(Ipynb);
        // the injected-parameters cell states the size it ran at
        var injected = Nbssl.Cells(nb).Single(c => c!["metadata"]!["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "injected-parameters") == true);
        Assert.Contains("var size = \"quick\";", Nbssl.Text(injected!["source"]));
        Assert.Equal("quick", nb["metadata"]!["nbssl"]!["parameters"]!["size"]!.GetValue<string>());
        Assert.Equal(2, ChartBundles(nb).Count);
        Assert.Equal("nbssl-csharp", nb["metadata"]!["kernelspec"]!["name"]!.GetValue<string>());   // the converted .dib ran

        // the report loads the folder's one plotly.js instead of embedding it
        var html = File.ReadAllText(Report);
        Assert.DoesNotContain("embedded once", html);
        var script = Directory.GetFiles(Reports, "plotly-*.min.js").Single();
        Assert.Contains($"src=\"{Path.GetFileName(script)}\"", html);
        Assert.True(new FileInfo(script).Length > 1_000_000);

        var index = File.ReadAllText(Path.Combine(Reports, "index.html"));
        Assert.Contains("Two charts", index);
        Assert.Contains("A small notebook for <code>nbssl publish</code>", index);
        Assert.Contains("href=\"charts.html\"", index);
        Assert.Contains("href=\"../../notebooks/charts.ipynb\"", index);
        Assert.Contains("1 hold</span>, <span class=\"not\">0 do not</span>, <span class=\"inconclusive\">0 inconclusive", index);

        // the published outputs do not make the notebook stale, and convert keeps them while the source is the same
        var check = Nbssl.Run("convert", "--check", Notebooks);
        Assert.True(check.ExitCode == 0, check.Log);
        var kept = Nbssl.Run("convert", Path.Combine(Notebooks, "charts.dib"));
        Assert.Contains("published outputs are kept", kept.Log);
        Assert.Equal(2, ChartBundles(Nbssl.ReadNotebook(Ipynb)).Count);

        // a failing run: exit 1, the committed notebook and report byte for byte as they were
        var before = (File.ReadAllBytes(Ipynb), File.ReadAllBytes(Report));
        var failed = Publish("--param", "fail=true");
        Assert.True(failed.ExitCode == 1, failed.Log);
        Assert.Contains("not published", failed.Log);
        Assert.Equal(before.Item1, File.ReadAllBytes(Ipynb));
        Assert.Equal(before.Item2, File.ReadAllBytes(Report));
    }

    [Fact]
    public void Convert_says_so_when_a_changed_source_drops_the_published_outputs()
    {
        var (code, log) = Publish();
        Assert.True(code == 0, log);
        var dib = Path.Combine(Notebooks, "charts.dib");
        File.WriteAllText(dib, File.ReadAllText(dib).Replace("Console.WriteLine($\"size {size}\");", "Console.WriteLine($\"size: {size}\");"));
        var stale = Nbssl.Run("convert", "--check", Notebooks);
        Assert.Equal(1, stale.ExitCode);   // a source change is still caught
        var converted = Nbssl.Run("convert", dib);
        Assert.Contains("outputs of its published run were dropped", converted.Log);
        Assert.Empty(ChartBundles(Nbssl.ReadNotebook(Ipynb)));
    }

    [Fact]
    public void A_prose_edit_keeps_the_published_outputs_and_the_report_is_redrawn_without_running()
    {
        var dib = Path.Combine(Notebooks, "charts.dib");
        // nothing published yet: there is no run to redraw a report from
        var refused = Nbssl.Run("publish", dib, "--reports", Reports, "--reports-only");
        Assert.True(refused.ExitCode == 1, refused.Log);
        Assert.Contains("has no published run", refused.Log);
        Assert.False(File.Exists(Report));

        var (code, log) = Publish();
        Assert.True(code == 0, log);
        var outputs = Nbssl.Cells(Nbssl.ReadNotebook(Ipynb)).Select(c => c!["outputs"]?.ToJsonString()).ToList();
        File.WriteAllText(dib, File.ReadAllText(dib).Replace("Two charts", "Two charts, edited"));
        var converted = Nbssl.Run("convert", dib);
        Assert.Contains("only its prose changed: the outputs of its published run are kept", converted.Log);
        var nb = Nbssl.ReadNotebook(Ipynb);
        Assert.Equal(outputs, Nbssl.Cells(nb).Select(c => c!["outputs"]?.ToJsonString()));   // every output as it was
        Assert.Contains(Nbssl.Cells(nb), c => Nbssl.Text(c!["source"]).Contains("# Two charts, edited"));
        var check = Nbssl.Run("convert", "--check", Notebooks);
        Assert.True(check.ExitCode == 0, check.Log);

        // the report still shows the old prose until it is redrawn, which runs nothing
        Assert.DoesNotContain("Two charts, edited", File.ReadAllText(Report));
        var redrawn = Nbssl.Run("publish", dib, "--reports", Reports, "--reports-only", "--out", Path.Combine(root, "no-runs"));
        Assert.True(redrawn.ExitCode == 0, redrawn.Log);
        Assert.Contains("Two charts, edited", File.ReadAllText(Report));
        Assert.False(Directory.Exists(Path.Combine(root, "no-runs", "charts")));
        Assert.Contains("Two charts, edited", File.ReadAllText(Path.Combine(Reports, "index.html")));
    }

    [SkippableFact]
    public void Every_chart_bundle_gets_a_static_svg_beside_the_interactive_chart()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install -y chromium): static images are skipped without it");
        var (code, log) = Nbssl.Run("run", Nbssl.Sample("charts.dib"), "--out", root);
        Assert.True(code == 0, log);
        Assert.Contains("static images: 2 of 2 chart(s)", log);
        var nb = Nbssl.ReadNotebook(Path.Combine(root, "charts.ipynb"));
        var bundles = ChartBundles(nb);
        Assert.Equal(2, bundles.Count);
        foreach (var b in bundles)
        {
            var svg = Nbssl.Text(b["image/svg+xml"]);
            Assert.StartsWith("<svg", svg);
            Assert.Contains("class=\"main-svg\"", svg);   // Plotly's own SVG, not a placeholder
            Assert.Contains("class=\"nbssl-static\"", Nbssl.Text(b["text/html"]));   // shown by viewers that pick text/html but run no script
        }
        Assert.Equal(2, nb["metadata"]!["nbssl"]!["static_images"]!["rendered"]!.GetValue<int>());
    }

    [Fact]
    public void Without_a_browser_the_run_succeeds_without_images_and_says_so_once()
    {
        foreach (var folder in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
            File.Copy(Nbssl.Sample("charts.dib"), Path.Combine(root, folder, "charts.dib"));
        }
        var (code, log) = Nbssl.RunWith(new() { ["NBSSL_CHROMIUM"] = Path.Combine(root, "no-such-chromium") },
            "run", Path.Combine(root, "a", "charts.dib"), Path.Combine(root, "b", "charts.dib"), "--out", Path.Combine(root, "out"));
        Assert.True(code == 0, log);
        Assert.Single(log.Split('\n'), l => l.Contains("static images skipped: no Chromium found (set NBSSL_CHROMIUM)"));
        var nb = Nbssl.ReadNotebook(Path.Combine(root, "out", "b", "charts.ipynb"));
        Assert.Equal(2, ChartBundles(nb).Count);
        Assert.All(ChartBundles(nb), b => Assert.Null(b["image/svg+xml"]));
    }
}
