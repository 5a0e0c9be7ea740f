using NotebookSsl.Notebooks.Display;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Reports;

/// <summary>
/// A self-contained HTML report of an executed notebook: markdown rendered, code with its outputs, images
/// inline, and plotly.js embedded once (only when a chart needs it), so it works offline.
/// </summary>
internal static partial class HtmlReport
{
    /// <param name="doc">The executed notebook.</param>
    /// <param name="title">The page's title.</param>
    /// <param name="plotlyScript">
    /// Where the page loads plotly.js from instead of embedding it (a file beside the report, shared by every report
    /// of a folder, as <c>nbssl publish</c> writes them); null embeds it, so the file works alone.
    /// </param>
    public static string Render(NotebookDocument doc, string title, string? plotlyScript = null)
    {
        var body = new StringBuilder();
        var run = doc.Metadata["nbssl"]?["run"];
        var failedCell = run?["failed_cell"]?.GetValue<int?>();
        RenderHeader(doc, title, body);
        for (int i = 0; i < doc.Cells.Count; i++)
        {
            var cell = doc.Cells[i];
            switch (cell.Kind)
            {
                case CellKind.Markdown:
                    body.Append($"<section class=\"cell markdown\" id=\"cell-{i + 1}\">\n").Append(Markdown.ToHtml(cell.Source)).Append("</section>\n");
                    break;
                case CellKind.Raw:
                    body.Append($"<section class=\"cell raw\" id=\"cell-{i + 1}\"><pre>").Append(Esc(cell.Source)).Append("</pre></section>\n");
                    break;
                default:
                    RenderCode(cell, i, failedCell == i + 1, body);
                    break;
            }
        }

        var needsPlotly = body.ToString().Contains(Display.PlotlyMarker);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append("<meta name=\"generator\" content=\"nbssl\">\n")
          .Append("<title>").Append(Esc(title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n");
        if (needsPlotly && plotlyScript is not null)
            sb.Append($"<script type=\"text/javascript\" src=\"{Esc(plotlyScript)}\"></script>\n");
        else if (needsPlotly)
            sb.Append($"<script type=\"text/javascript\">/* plotly.js {PlotlyHtml.PlotlyJsVersion}, embedded once from Plotly.NET */\n")
              .Append(PlotlyHtml.ScriptSafe(PlotlyHtml.PlotlyJs)).Append("\n</script>\n");
        sb.Append("</head>\n<body>\n<main>\n").Append(body).Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    static class Display { public const string PlotlyMarker = PlotlyHtml.Marker; }

    static void RenderHeader(NotebookDocument doc, string title, StringBuilder sb)
    {
        var meta = doc.Metadata["nbssl"];
        var run = meta?["run"];
        sb.Append("<header>\n<h1 class=\"title\">").Append(Esc(title)).Append("</h1>\n");
        if (run is not null)
        {
            var ok = run["status"]?.GetValue<string>() == "ok";
            var failed = run["failed_cell"]?.GetValue<int?>();
            sb.Append(ok
                ? $"<p class=\"status ok\">Ran to the end in {run["duration_s"]}s.</p>\n"
                : $"<p class=\"status failed\">Stopped at <a href=\"#cell-{failed}\">cell {failed}</a>: {Esc(run["error"]?.GetValue<string>() ?? "")}</p>\n");
        }
        if (meta?["parameters"] is JsonObject ps && ps.Count > 0)
        {
            sb.Append("<table class=\"meta\"><caption>Parameters</caption>\n");
            foreach (var (k, v) in ps) sb.Append("<tr><th>").Append(Esc(k)).Append("</th><td>").Append(Esc(v?.ToString() ?? "")).Append("</td></tr>\n");
            sb.Append("</table>\n");
        }
        if (meta?["environment"] is JsonObject env)
        {
            sb.Append("<details class=\"meta\"><summary>Environment</summary><table class=\"meta\">\n");
            foreach (var (k, v) in env) sb.Append("<tr><th>").Append(Esc(k)).Append("</th><td>").Append(Esc(v?.ToString() ?? "")).Append("</td></tr>\n");
            sb.Append("</table></details>\n");
        }
        sb.Append("</header>\n");
    }

    static void RenderCode(NotebookCell cell, int i, bool failed, StringBuilder sb)
    {
        var language = cell.Language;
        var first = cell.Source.Split('\n')[0];
        if (Polyglot.KernelFromMagic(first) is { } k) language = k;
        var duration = cell.Metadata["nbssl"]?["duration_s"]?.GetValue<double?>();
        var tags = cell.Tags.Count > 0 ? " " + string.Join(" ", cell.Tags.Select(t => $"<span class=\"tag\">{Esc(t)}</span>")) : "";
        sb.Append($"<section class=\"cell code{(failed ? " failed" : "")}\" id=\"cell-{i + 1}\">\n")
          .Append("<div class=\"prompt\">").Append($"[{(cell.ExecutionCount?.ToString() ?? " ")}] ")
          .Append(language == "fsharp" ? "F#" : language == "csharp" ? "C#" : Esc(language))
          .Append(duration is null ? "" : $" · {duration:0.###}s").Append(tags).Append("</div>\n")
          .Append("<pre class=\"source\"><code>").Append(Esc(cell.Source)).Append("</code></pre>\n");
        if (cell.Outputs.Count > 0)
        {
            sb.Append("<div class=\"outputs\">\n");
            foreach (var node in cell.Outputs)
                if (node is JsonObject o) RenderOutput(o, sb);
            sb.Append("</div>\n");
        }
        sb.Append("</section>\n");
    }

    static void RenderOutput(JsonObject o, StringBuilder sb)
    {
        switch (o["output_type"]?.GetValue<string>())
        {
            case "stream":
                var name = o["name"]?.GetValue<string>() ?? "stdout";
                sb.Append($"<pre class=\"stream {Esc(name)}\">").Append(Esc(Ipynb.JoinText(o["text"]))).Append("</pre>\n");
                break;
            case "error":
                var trace = o["traceback"] is JsonArray a ? string.Join("\n", a.Select(x => x?.GetValue<string>() ?? "")) : "";
                sb.Append("<pre class=\"error\"><strong>").Append(Esc(o["ename"]?.GetValue<string>() ?? "Error")).Append("</strong>: ")
                  .Append(Esc(o["evalue"]?.GetValue<string>() ?? "")).Append('\n').Append(Esc(Ansi().Replace(trace, ""))).Append("</pre>\n");
                break;
            case "display_data" or "execute_result":
                if (o["data"] is not JsonObject data) break;
                if (data["text/html"] is { } html)
                    sb.Append("<div class=\"html-output\">\n").Append(Ipynb.JoinText(html)).Append("\n</div>\n");
                else if (data["image/png"] is { } png)
                {
                    var caption = Ipynb.JoinText(data["text/plain"]).Split('\n')[0];
                    sb.Append("<figure class=\"image-output\"><img alt=\"").Append(Esc(caption)).Append("\" src=\"data:image/png;base64,")
                      .Append(Ipynb.JoinText(png).Trim()).Append("\"><figcaption>").Append(Esc(caption)).Append("</figcaption></figure>\n");
                }
                else if (data["image/svg+xml"] is { } svg)
                    sb.Append("<div class=\"svg-output\">").Append(Ipynb.JoinText(svg)).Append("</div>\n");
                else if (data["text/markdown"] is { } md)
                    sb.Append("<div class=\"markdown-output\">").Append(Markdown.ToHtml(Ipynb.JoinText(md))).Append("</div>\n");
                else if (data["text/plain"] is { } text)
                    sb.Append("<pre class=\"text-output\">").Append(Esc(Ipynb.JoinText(text))).Append("</pre>\n");
                break;
        }
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")] private static partial Regex Ansi();

    static string Esc(string s) => WebUtility.HtmlEncode(s);

    const string Css = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 0; background: #fafafa; color: #222; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 4rem; background: #fff; }
h1.title { margin-bottom: 0.3rem; }
.status { padding: 0.5rem 0.8rem; border-radius: 4px; }
.status.ok { background: #e8f5e9; color: #1b5e20; }
.status.failed { background: #ffebee; color: #b71c1c; }
table.meta { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
table.meta th, table.meta td { border: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: left; }
table.meta caption { text-align: left; font-weight: bold; }
.cell { margin: 1rem 0; }
.cell.code { border-left: 3px solid #90caf9; padding-left: 0.8rem; }
.cell.code.failed { border-left-color: #e53935; }
.prompt { font-family: monospace; color: #666; font-size: 0.85rem; margin-bottom: 0.2rem; }
.tag { background: #eee; border-radius: 3px; padding: 0 0.3rem; margin-left: 0.3rem; }
pre { overflow-x: auto; padding: 0.6rem; border-radius: 4px; font-size: 0.85rem; line-height: 1.35; }
pre.source { background: #f5f7fa; border: 1px solid #e3e8ee; }
pre.stream { background: #fff; border: 1px dashed #ddd; margin: 0.3rem 0; }
pre.stream.stderr { background: #fff8e1; }
pre.error { background: #ffebee; color: #b71c1c; white-space: pre-wrap; }
pre.text-output { background: #fff; margin: 0.3rem 0; }
.markdown table, .html-output table { border-collapse: collapse; }
.markdown th, .markdown td, .html-output th, .html-output td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; }
.markdown code { background: #f3f3f3; padding: 0 0.2rem; border-radius: 3px; }
.markdown pre code { background: none; padding: 0; }
.markdown pre { background: #f5f7fa; }
.math { font-family: "Times New Roman", serif; font-style: italic; }
figure.image-output { margin: 0.5rem 0; }
figure.image-output img { image-rendering: pixelated; max-width: 100%; border: 1px solid #eee; }
figure.image-output figcaption { font-family: monospace; font-size: 0.8rem; color: #666; }
blockquote { border-left: 3px solid #ccc; margin-left: 0; padding-left: 1rem; color: #555; }
""";
}
