using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookSsl.Notebooks.Display;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Reports;

/// <summary>
/// A static SVG beside every Plotly chart of an executed notebook, so that a viewer that runs no script (GitHub,
/// a file preview) still shows the chart. All charts of a notebook are drawn in ONE headless Chromium call: a
/// generated page loads the plotly.js Plotly.NET ships, calls <c>Plotly.toImage(fig, {format: 'svg'})</c> for each
/// figure and writes the results into the page, which <c>--dump-dom</c> prints (Chromium's start costs seconds,
/// a chart a fraction of one). No network is used. Without a browser the run goes on without images and says so
/// once per process.
/// </summary>
internal static partial class ChartImages
{
    public const string SvgMimeType = "image/svg+xml";

    /// <summary>Points at the Chromium (or Chrome) binary; a path that does not exist turns static images off.</summary>
    public const string ChromiumVariable = "NBSSL_CHROMIUM";

    /// <summary>Size of a chart whose layout sets none (the HTML fragment fills its width; 720 suits GitHub's column).</summary>
    const int DefaultWidth = 720, DefaultHeight = 420;

    static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    static int toldNoBrowser;

    /// <summary>What adding images did: how many charts, how many got an image, the seconds it took, or why it was skipped.</summary>
    internal sealed record Outcome(int Charts, int Rendered, double Seconds, string? Skipped);

    /// <summary>The browser to use: $NBSSL_CHROMIUM when set (null when that file is missing), else the first installed candidate.</summary>
    internal static string? FindChromium()
    {
        if (Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } set) return File.Exists(set) ? set : null;
        return Candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>The MIME bundles of the notebook's outputs that hold a Plotly figure.</summary>
    internal static List<JsonObject> ChartBundles(NotebookDocument doc) =>
        doc.Cells.SelectMany(c => c.Outputs.OfType<JsonObject>())
            .Select(o => o["data"] as JsonObject)
            .Where(d => d?[PlotlyHtml.PlotlyMimeType] is JsonObject)
            .Cast<JsonObject>()
            .ToList();

    /// <summary>Adds image/svg+xml to every chart bundle of <paramref name="doc"/> (and the same image inside its HTML) and logs one line.</summary>
    public static Outcome AddTo(NotebookDocument doc, TextWriter log)
    {
        var bundles = ChartBundles(doc);
        if (bundles.Count == 0) return new Outcome(0, 0, 0, null);
        if (FindChromium() is not { } chromium)
        {
            const string why = $"no Chromium found (set {ChromiumVariable})";
            if (Interlocked.Exchange(ref toldNoBrowser, 1) == 0) lock (log) log.WriteLine($"nbssl: static images skipped: {why}");
            return new Outcome(bundles.Count, 0, 0, why);
        }
        var clock = Stopwatch.StartNew();
        IReadOnlyList<string?> svgs;
        try { svgs = Render(chromium, bundles.Select(b => (JsonObject)b[PlotlyHtml.PlotlyMimeType]!).ToList()); }
        catch (Exception e) when (e is IOException or TimeoutException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            lock (log) log.WriteLine($"nbssl: static images skipped: {chromium}: {e.Message}");
            return new Outcome(bundles.Count, 0, clock.Elapsed.TotalSeconds, e.Message);
        }
        int rendered = 0;
        foreach (var (bundle, svg) in bundles.Zip(svgs))
        {
            if (svg is null) continue;
            bundle[SvgMimeType] = svg;
            if (bundle["text/html"] is JsonNode html) bundle["text/html"] = WithFallback(Ipynb.JoinText(html), svg);
            rendered++;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        lock (log) log.WriteLine($"nbssl: static images: {rendered} of {bundles.Count} chart(s) in {seconds:0.0}s ({seconds / bundles.Count:0.00}s per chart, one Chromium call)");
        return new Outcome(bundles.Count, rendered, seconds, rendered == bundles.Count ? null : $"{bundles.Count - rendered} chart(s) failed to draw");
    }

    /// <summary>
    /// The chart's HTML with the SVG as an &lt;img&gt; inside its div: viewers that strip scripts but pick text/html
    /// over image/svg+xml (nbconvert's order, which GitHub follows) then show it; the chart's script removes it when it draws.
    /// </summary>
    internal static string WithFallback(string html, string svg)
    {
        if (html.Contains($"<img class=\"{PlotlyHtml.StaticImageClass}\"")) return html;   // (the script names the class too)
        var div = ChartDiv().Match(html);
        if (!div.Success) return html;
        var img = $"<img class=\"{PlotlyHtml.StaticImageClass}\" alt=\"chart (static image)\" style=\"max-width:100%\" src=\"data:{SvgMimeType};base64,{Convert.ToBase64String(Encoding.UTF8.GetBytes(svg))}\">";
        return html.Insert(div.Index + div.Length, img);
    }

    [GeneratedRegex("<div id=\"plotly-[0-9a-f]+\" " + PlotlyHtml.Marker + "=\"[^\"]*\" style=\"[^\"]*\">")]
    private static partial Regex ChartDiv();

    /// <summary>SVG text per figure (null where that figure failed to draw), from one Chromium process.</summary>
    internal static IReadOnlyList<string?> Render(string chromium, IReadOnlyList<JsonObject> figures)
    {
        var work = Directory.CreateTempSubdirectory("nbssl-images-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(work, "plotly.min.js"), PlotlyHtml.PlotlyJs);
            var page = Path.Combine(work, "charts.html");
            File.WriteAllText(page, Page(figures));
            var dom = RunChromium(chromium, page, Path.Combine(work, "profile"), TimeSpan.FromSeconds(60 + 2 * figures.Count));
            if (!dom.Contains("<pre id=\"status\">done</pre>"))
                throw new TimeoutException("the page did not finish drawing the charts");
            var found = Result().Matches(dom).ToDictionary(m => int.Parse(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
            return figures.Select((_, i) => found.TryGetValue(i, out var url) && url.StartsWith("data:image/svg+xml,")
                ? Uri.UnescapeDataString(url["data:image/svg+xml,".Length..]) : null).ToList();
        }
        finally { RemoveFolder(work); }
    }

    [GeneratedRegex("<pre id=\"img-(\\d+)\">(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex Result();

    static string Page(IReadOnlyList<JsonObject> figures)
    {
        var figs = new JsonArray(figures.Select(f => (JsonNode?)new JsonObject
        {
            ["data"] = f["data"]?.DeepClone() ?? new JsonArray(),
            ["layout"] = f["layout"]?.DeepClone() ?? new JsonObject(),
        }).ToArray());
        return $$"""
<!DOCTYPE html>
<html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head>
<body>
<pre id="status">pending</pre>
<script type="application/json" id="figures">{{PlotlyHtml.ScriptSafe(figs.ToJsonString())}}</script>
<script>
(async function () {
  var figs = JSON.parse(document.getElementById('figures').textContent);
  for (var i = 0; i < figs.length; i++) {
    var layout = figs[i].layout || {};
    var p = document.createElement('pre');
    try {
      p.textContent = await Plotly.toImage({ data: figs[i].data, layout: layout },
        { format: 'svg', width: layout.width || {{DefaultWidth}}, height: layout.height || {{DefaultHeight}} });
      p.id = 'img-' + i;
    } catch (e) { p.id = 'err-' + i; p.textContent = String(e); }
    document.body.appendChild(p);
  }
  document.getElementById('status').textContent = 'done';
})();
</script>
</body></html>
""";
    }

    /// <summary>Chromium headless, offline (a proxy on a closed port), its DOM after the page's scripts ran.</summary>
    static string RunChromium(string chromium, string page, string profile, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--proxy-server=http://127.0.0.1:9", $"--user-data-dir={profile}",
            // virtual time runs ahead while the page is idle: the budget is an upper bound, not a wait
            "--virtual-time-budget=600000", "--dump-dom", new Uri(page).AbsoluteUri,
        }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start it");
        var output = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();   // its dbus complaints: read so it never blocks, not shown
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"it did not finish within {timeout.TotalSeconds:0}s");
        }
        return output.Result;
    }

    /// <summary>Chromium's helper processes may still write into the profile for a moment after it exits: retry briefly.</summary>
    static void RemoveFolder(string folder)
    {
        for (int attempt = 0; attempt < 20 && Directory.Exists(folder); attempt++)
        {
            try { Directory.Delete(folder, true); }
            catch (IOException) { Thread.Sleep(100); }
        }
    }
}
