using System.Text.Json.Nodes;

using NotebookSsl.Notebooks.Display;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// Charts under the kernel draw without the internet. Their text/html (from <see cref="PlotlyHtml"/>) loads
/// plotly.js when the page has none; here that load is pointed at the copy the kernelspec folder carries
/// (<c>nbssl kernel install</c> writes it), which the Jupyter server serves at
/// <c>{base}/kernelspecs/{kernel}/plotly-{version}.min.js</c>, through RequireJS where the page has it (the
/// classic notebook), and only then at the CDN. VS Code and JupyterLab draw the bundle's
/// application/vnd.plotly.v1+json part themselves and need no script.
/// </summary>
internal static class PlotlyOffline
{
    /// <summary>The file name of plotly.js in a kernelspec folder.</summary>
    public static string FileName => $"plotly-{PlotlyHtml.PlotlyJsVersion}.min.js";

    static string Cdn => $"https://cdn.plot.ly/plotly-{PlotlyHtml.PlotlyJsVersion}.min.js";

    /// <summary>The loading line of the engine's chart HTML (what <see cref="Rewrite"/> replaces).</summary>
    static string EngineLoader =>
        $"  else {{ var s = document.createElement('script'); s.src = '{Cdn}'; s.onload = draw; document.head.appendChild(s); }}";

    /// <summary>The chart's HTML with plotly.js loaded from the kernelspec folder first; unchanged (false) when it is not a chart.</summary>
    public static bool Rewrite(JsonObject data, string kernelName)
    {
        if (data["text/html"] is not JsonValue v || v.GetValue<string>() is not { } html || !html.Contains(PlotlyHtml.Marker)) return false;
        if (!html.Contains(EngineLoader)) return false;
        data["text/html"] = html.Replace(EngineLoader, Loader(kernelName));
        return true;
    }

    static string Loader(string kernelName) => $$"""
  else {
    var cdn = '{{Cdn}}';
    var local = (function () {
      var base = document.body && document.body.getAttribute('data-base-url');
      var config = document.getElementById('jupyter-config-data');
      if (!base && config) { try { base = JSON.parse(config.textContent).baseUrl; } catch (e) { } }
      base = base || '/';
      return base + (base.charAt(base.length - 1) === '/' ? '' : '/') + 'kernelspecs/{{kernelName}}/{{FileName[..^3]}}';
    })();
    var load = function (src, fallback) {
      var s = document.createElement('script'); s.src = src;
      s.onload = function () { if (window.Plotly) { draw(); } else if (fallback) { fallback(); } };
      s.onerror = function () { if (fallback) { fallback(); } };
      document.head.appendChild(s);
    };
    if (typeof window.requirejs === 'function' && typeof window.define === 'function' && window.define.amd) {
      // the classic notebook: plotly.js registers itself as an AMD module there instead of setting window.Plotly
      window.requirejs.config({ paths: { 'nbssl-plotly': [local, cdn.slice(0, -3)] } });
      window.requirejs(['nbssl-plotly'], function (Plotly) { window.Plotly = window.Plotly || Plotly; draw(); });
    }
    else { load(local + '.js', function () { load(cdn); }); }
  }
""".TrimEnd('\n');
}
