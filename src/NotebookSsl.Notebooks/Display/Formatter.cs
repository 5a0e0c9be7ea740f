using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using Plotly.NET;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Notebooks.Display;

/// <summary>
/// Turns a value into an nbformat MIME bundle: Plotly charts as interactive HTML, tensors as a summary
/// (and a PNG when they look like images), DataFrames as HTML tables, everything else as text/plain.
/// </summary>
public static class Formatter
{
    const int MaxRows = 20, MaxItems = 20;

    /// <summary>True for values with a formatter of their own (not just their text).</summary>
    public static bool IsRich(object? value) =>
        value is string or GenericChart or PngImage or Tensor or DataFrame;

    public static JsonObject Format(object? value)
    {
        switch (value)
        {
            case null:
                return Text("<null>");
            case string s:
                return Text(s);
            case GenericChart chart:
            {
                var figure = GenericChart.toFigureJson(chart);
                return new JsonObject
                {
                    ["text/html"] = PlotlyHtml.ChartHtml(chart, figure),
                    // the figure itself, which VS Code and JupyterLab draw natively (no script needed)
                    [PlotlyHtml.PlotlyMimeType] = JsonNode.Parse(figure),
                    ["text/plain"] = PlotlyHtml.Summary(figure),
                };
            }
            case PngImage png:
                return new JsonObject { ["image/png"] = png.Base64, ["text/plain"] = png.ToString() };
            case Tensor t:
                return FormatTensor(t);
            case DataFrame df:
                return new JsonObject { ["text/html"] = DataFrameHtml(df), ["text/plain"] = DataFrameText(df) };
            case IEnumerable e when value.GetType().Namespace?.StartsWith("Microsoft.FSharp") != true:
                return Text(Sequence(e));
            default:
                return Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        }
    }

    static JsonObject Text(string s) => new() { ["text/plain"] = s };

    /// <summary>Shape, dtype, device, then a NumPy-style preview of the values.</summary>
    public static string TensorText(Tensor t)
    {
        var head = $"Tensor [{string.Join(", ", t.shape)}] {t.dtype.ToString().ToLowerInvariant()} {t.device}";
        if (t.numel() == 0) return head + " (empty)";
        string preview;
        try { preview = t.npstr(fltFormat: "g5", width: 100, cultureInfo: CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is not OutOfMemoryException) { preview = $"(no preview: {e.Message})"; }
        var lines = preview.Split('\n');
        if (lines.Length > 40) preview = string.Join('\n', lines.Take(40)) + "\n...";
        return head + "\n" + preview;
    }

    static JsonObject FormatTensor(Tensor t)
    {
        if (t.IsInvalid) return Text("Tensor (disposed)");
        var o = Text(TensorText(t));
        if (ImageTensors.LooksLikeImage(t)) o["image/png"] = ImageTensors.ToPng(t).Base64;
        return o;
    }

    static string Sequence(IEnumerable e)
    {
        var items = new List<string>();
        bool more = false;
        foreach (var x in e)
        {
            if (items.Count == MaxItems) { more = true; break; }
            items.Add(x is string s ? $"\"{s}\"" : Convert.ToString(x, CultureInfo.InvariantCulture) ?? "null");
        }
        var name = e.GetType().Name;
        var tick = name.IndexOf('`');
        if (tick > 0) name = name[..tick];
        return $"{name} [{string.Join(", ", items)}{(more ? ", ..." : "")}]";
    }

    static string DataFrameHtml(DataFrame df)
    {
        var sb = new StringBuilder("<table class=\"dataframe\">\n<thead><tr><th></th>");
        foreach (var col in df.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(col.Name)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        var rows = Math.Min(df.Rows.Count, MaxRows);
        for (long r = 0; r < rows; r++)
        {
            sb.Append("<tr><th>").Append(r).Append("</th>");
            foreach (var col in df.Columns)
                sb.Append("<td>").Append(WebUtility.HtmlEncode(Convert.ToString(col[r], CultureInfo.InvariantCulture) ?? "")).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        sb.Append($"<p class=\"dataframe-shape\">{df.Rows.Count} rows × {df.Columns.Count} columns{(df.Rows.Count > MaxRows ? $" (first {MaxRows} shown)" : "")}</p>");
        return sb.ToString();
    }

    static string DataFrameText(DataFrame df)
    {
        var cols = df.Columns.ToList();
        var cells = new List<string[]> { cols.Select(c => c.Name).ToArray() };
        var rows = Math.Min(df.Rows.Count, MaxRows);
        for (long r = 0; r < rows; r++)
            cells.Add(cols.Select(c => Convert.ToString(c[r], CultureInfo.InvariantCulture) ?? "").ToArray());
        var widths = Enumerable.Range(0, cols.Count).Select(j => cells.Max(row => row[j].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in cells)
            sb.AppendLine(string.Join("  ", row.Select((x, j) => x.PadRight(widths[j]))).TrimEnd());
        sb.Append($"{df.Rows.Count} rows x {df.Columns.Count} columns");
        return sb.ToString();
    }
}
