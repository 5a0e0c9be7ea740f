using System.Reflection;
using Plotly.NET;

namespace NotebookSsl.Notebooks.Display;

/// <summary>
/// Plotly.NET charts as HTML fragments. A fragment draws with <c>window.Plotly</c> when the page has it (our
/// HTML report embeds plotly.js once, from the copy Plotly.NET ships inside its assembly) and otherwise loads
/// plotly.js from the CDN (Jupyter, VS Code).
/// </summary>
public static class PlotlyHtml
{
    /// <summary>Attribute on every chart div, so a report knows it needs plotly.js.</summary>
    public const string Marker = "data-nbssl-plotly";

    /// <summary>The MIME type of Plotly's figure JSON ({data, layout}), drawn natively by VS Code and JupyterLab.</summary>
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    /// <summary>Class of a static image of the chart inside its div (an executed notebook's, for viewers without scripts); drawing removes it.</summary>
    internal const string StaticImageClass = "nbssl-static";

    static readonly Lazy<(string Version, string Script)> Embedded = new(LoadEmbedded);

    /// <summary>Version of the plotly.js Plotly.NET ships.</summary>
    public static string PlotlyJsVersion => Embedded.Value.Version;

    /// <summary>The full plotly.js source shipped in Plotly.NET.dll.</summary>
    public static string PlotlyJs => Embedded.Value.Script;

    static (string, string) LoadEmbedded()
    {
        var asm = typeof(GenericChart).Assembly;
        var name = asm.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-") && n.EndsWith(".min.js"))
            ?? throw new InvalidOperationException("plotly.js is not embedded in this Plotly.NET assembly");
        using var stream = asm.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        var version = name["Plotly.NET.plotly-".Length..^".min.js".Length];
        return (version, reader.ReadToEnd());
    }

    public static string ChartHtml(GenericChart chart) => ChartHtml(chart, GenericChart.toFigureJson(chart));

    /// <summary>The HTML fragment, from the chart's already serialised figure JSON.</summary>
    public static string ChartHtml(GenericChart chart, string figure)
    {
        var id = "plotly-" + Guid.NewGuid().ToString("N")[..12];
        var config = Newtonsoft.Json.JsonConvert.SerializeObject(GenericChart.getConfig(chart), Globals.JSON_CONFIG);
        var (w, h) = GenericChart.tryGetLayoutSize(chart).ToValueTuple();
        var style = $"width:{(w is null ? "100%" : w.Value + "px")};height:{(h is null ? 420 : h.Value)}px;";
        var cdn = $"https://cdn.plot.ly/plotly-{PlotlyJsVersion}.min.js";
        return $$"""
<div id="{{id}}" {{Marker}}="{{PlotlyJsVersion}}" style="{{style}}"></div>
<script type="text/javascript">
(function () {
  var fig = {{ScriptSafe(figure)}};
  var config = {{ScriptSafe(config)}};
  function draw() {
    var gd = document.getElementById('{{id}}'), still = gd.querySelector('img.{{StaticImageClass}}');
    if (still) { gd.removeChild(still); }
    window.Plotly.newPlot(gd, fig.data, fig.layout || {}, Object.assign({responsive: true}, config));
  }
  if (window.Plotly) { draw(); }
  else { var s = document.createElement('script'); s.src = '{{cdn}}'; s.onload = draw; document.head.appendChild(s); }
})();
</script>
""";
    }

    /// <summary>A one-line text version of a chart: each trace with its point count and last y value.</summary>
    public static string Summary(GenericChart chart) => Summary(GenericChart.toFigureJson(chart));

    /// <summary>The summary from a chart's figure JSON.</summary>
    public static string Summary(string figureJson)
    {
        var parts = new List<string>();
        try
        {
            var figure = System.Text.Json.Nodes.JsonNode.Parse(figureJson);
            if (figure?["data"] is System.Text.Json.Nodes.JsonArray traces)
                foreach (var t in traces)
                {
                    var name = t?["name"]?.ToString() ?? t?["type"]?.ToString() ?? "trace";
                    if (t?["y"] is System.Text.Json.Nodes.JsonArray y && y.Count > 0)
                        parts.Add($"{name}: {y.Count} points, last {y[^1]}");
                    else parts.Add(name);
                }
        }
        catch (System.Text.Json.JsonException) { }
        return $"Plotly chart ({string.Join("; ", parts)})";
    }

    /// <summary>Makes text safe inside an inline &lt;script&gt; element.</summary>
    public static string ScriptSafe(string js) =>
        js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase).Replace("<!--", "<\\!--");
}
