using System.Globalization;
using System.Net;
using System.Text;
using NotebookSsl.Analysis;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Notebooks.Reports;

/// <summary>
/// <c>docs/reports/index.html</c>: one row per notebook of a folder (its <c>.dib</c> sources): its title and what it
/// tests (the first heading and paragraph), the time of its published run and the size it ran at (from the
/// committed, executed <c>.ipynb</c>'s metadata), the verdicts of its claims (from <c>results/NAME-quick.json</c>, judged
/// by <see cref="ClaimVerdict"/> as on the findings page) and links to its report and notebook.
/// </summary>
internal static class Gallery
{
    public const string FileName = "index.html";

    /// <summary>One notebook's row.</summary>
    internal sealed record Entry(string Name, string Title, string Summary, double? Seconds, string? Size,
        int Holds, int DoesNotHold, int Inconclusive, string? ResultsProblem, bool HasReport);

    /// <summary>The rows for every notebook of <paramref name="notebooksDir"/> (a .dib, or an .ipynb without one), by name.</summary>
    public static IReadOnlyList<Entry> Entries(string notebooksDir, string reportsDir)
    {
        var names = Directory.EnumerateFiles(notebooksDir, "*.dib").Concat(Directory.EnumerateFiles(notebooksDir, "*.ipynb"))
            .Select(Path.GetFileNameWithoutExtension).Distinct().Order(StringComparer.Ordinal);
        return names.Select(n => Read(notebooksDir, reportsDir, n!)).ToList();
    }

    static Entry Read(string notebooksDir, string reportsDir, string name)
    {
        var ipynb = Path.Combine(notebooksDir, name + ".ipynb");
        var dib = Path.Combine(notebooksDir, name + ".dib");
        var doc = File.Exists(ipynb) ? Ipynb.Read(NotebookDocument.ReadText(ipynb)) : Dib.Read(NotebookDocument.ReadText(dib));
        var (title, summary) = Heading(doc, name);
        var run = doc.Metadata["nbssl"];
        double? seconds = run?["run"]?["status"]?.GetValue<string>() == "ok" ? run["run"]?["duration_s"]?.GetValue<double>() : null;
        var size = run?["parameters"]?["size"]?.GetValue<string>();

        int holds = 0, not = 0, inconclusive = 0;
        string? problem = null;
        var results = Path.Combine(notebooksDir, "results", $"{name}-quick.json");
        if (!File.Exists(results)) problem = "no quick results";
        else
        {
            try
            {
                foreach (var c in FindingsPage.ParseClaims(File.ReadAllText(results), Path.GetRelativePath(notebooksDir, results)))
                    switch (c.Judgement.Verdict)
                    {
                        case Verdict.Holds: holds++; break;
                        case Verdict.DoesNotHold: not++; break;
                        default: inconclusive++; break;
                    }
                if (holds + not + inconclusive == 0) problem = "no claims";
            }
            catch (InvalidDataException e) { problem = e.Message; }
        }
        return new Entry(name, title, summary, seconds, size, holds, not, inconclusive, problem,
            File.Exists(Path.Combine(reportsDir, name + ".html")));
    }

    /// <summary>The first markdown cell's first heading and the paragraph after it.</summary>
    static (string Title, string Summary) Heading(NotebookDocument doc, string name)
    {
        var md = doc.Cells.FirstOrDefault(c => c.Kind == CellKind.Markdown)?.Source ?? "";
        var lines = md.Replace("\r\n", "\n").Split('\n').ToList();
        var h = lines.FindIndex(l => l.StartsWith('#'));
        var title = h >= 0 ? lines[h].TrimStart('#').Trim() : name;
        var paragraph = lines.Skip(h + 1).SkipWhile(string.IsNullOrWhiteSpace).TakeWhile(l => !string.IsNullOrWhiteSpace(l));
        return (title, string.Join("\n", paragraph));
    }

    /// <summary>The page, its links relative to <paramref name="reportsDir"/>.</summary>
    public static string Render(IReadOnlyList<Entry> entries, string notebooksDir, string reportsDir)
    {
        var toNotebooks = Path.GetRelativePath(reportsDir, notebooksDir).Replace('\\', '/');
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n<meta name=\"generator\" content=\"nbssl publish\">\n")
          .Append("<title>NotebookSsl: notebook reports</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n")
          .Append("<h1>Notebook reports</h1>\n")
          .Append("<p>Each notebook's published run (<code>nbssl publish</code>, at size <code>quick</code> unless noted), its report, and the verdicts of its claims ")
          .Append("(from <code>").Append(Esc(toNotebooks)).Append("/results/NAME-quick.json</code>, by the rule of the ")
          .Append("<a href=\"").Append(Esc(toNotebooks)).Append("/results/FINDINGS.md\">findings page</a>).</p>\n")
          .Append("<table>\n<thead><tr><th>notebook</th><th>what it tests</th><th>run</th><th>claims</th><th>report</th></tr></thead>\n<tbody>\n");
        foreach (var e in entries)
        {
            sb.Append("<tr><td><strong>").Append(Esc(e.Title)).Append("</strong><br><a href=\"").Append(Esc($"{toNotebooks}/{e.Name}.ipynb"))
              .Append("\"><code>").Append(Esc(e.Name)).Append("</code></a></td>\n<td class=\"summary\">").Append(Markdown.ToHtml(e.Summary)).Append("</td>\n<td>");
            sb.Append(e.Seconds is { } s ? Esc(Duration(s)) + (e.Size is null or "quick" ? "" : $" at <code>{Esc(e.Size)}</code>") : "not published");
            sb.Append("</td>\n<td>");
            if (e.ResultsProblem is { } p) sb.Append("<span class=\"none\">").Append(Esc(p)).Append("</span>");
            else
                sb.Append($"<span class=\"holds\">{e.Holds} hold</span>, <span class=\"not\">{e.DoesNotHold} do not</span>, ")
                  .Append($"<span class=\"inconclusive\">{e.Inconclusive} inconclusive</span>");
            sb.Append("</td>\n<td>").Append(e.HasReport ? $"<a href=\"{Esc(e.Name)}.html\">report</a>" : "–").Append("</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    static string Duration(double seconds) => seconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min");

    static string Esc(string s) => WebUtility.HtmlEncode(s);

    const string Css = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 0; background: #fafafa; color: #222; }
main { max-width: 1200px; margin: 0 auto; padding: 1.5rem 2rem 4rem; background: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
td.summary p { margin: 0; }
td.summary { max-width: 34rem; }
.holds { color: #1b5e20; } .not { color: #b71c1c; } .inconclusive { color: #8d6e00; } .none { color: #777; }
.math { font-family: "Times New Roman", serif; font-style: italic; }
""";
}
