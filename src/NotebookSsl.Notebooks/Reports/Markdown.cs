using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace NotebookSsl.Notebooks.Reports;

/// <summary>
/// A small Markdown to HTML converter for notebook text: headings, paragraphs, (nested) lists, fenced and
/// indented code, block quotes, pipe tables, rules, emphasis, code spans, links and images. Math ($...$,
/// $$...$$) is left as text. Raw HTML blocks pass through.
/// </summary>
public static partial class Markdown
{
    public static string ToHtml(string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Replace('\t', ' ').Split('\n').ToList();
        var sb = new StringBuilder();
        RenderBlocks(lines, sb);
        return sb.ToString();
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")] private static partial Regex Heading();
    [GeneratedRegex(@"^ {0,3}(\*\s*\*\s*\*[\s*]*|-\s*-\s*-[\s-]*|_\s*_\s*_[\s_]*)$")] private static partial Regex Rule();
    [GeneratedRegex(@"^( *)([-*+]|\d{1,9}[.)])( +|$)(.*)$")] private static partial Regex ListItem();
    [GeneratedRegex(@"^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$")] private static partial Regex TableSeparator();
    [GeneratedRegex(@"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")] private static partial Regex Fence();
    [GeneratedRegex(@"^ {0,3}<(/?[A-Za-z][A-Za-z0-9-]*)(\s|>|/>|$)")] private static partial Regex HtmlBlock();

    static void RenderBlocks(List<string> lines, StringBuilder sb)
    {
        int i = 0;
        var paragraph = new List<string>();
        void EndParagraph()
        {
            if (paragraph.Count == 0) return;
            sb.Append("<p>").Append(Inline(string.Join("\n", paragraph).Trim())).Append("</p>\n");
            paragraph.Clear();
        }

        while (i < lines.Count)
        {
            var line = lines[i];
            var trimmed = line.Trim();
            if (trimmed.Length == 0) { EndParagraph(); i++; continue; }

            var fence = Fence().Match(line);
            if (fence.Success)
            {
                EndParagraph();
                var marker = fence.Groups[1].Value;
                var lang = fence.Groups[2].Value;
                var code = new List<string>();
                i++;
                while (i < lines.Count && !lines[i].TrimStart().StartsWith(marker)) code.Add(lines[i++]);
                i++;
                sb.Append("<pre><code").Append(lang.Length > 0 ? $" class=\"language-{Esc(lang)}\"" : "").Append('>')
                  .Append(Esc(string.Join("\n", code))).Append("</code></pre>\n");
                continue;
            }
            if (trimmed.StartsWith("$$"))
            {
                EndParagraph();
                var math = new List<string> { trimmed };
                if (!(trimmed.Length > 2 && trimmed.EndsWith("$$") && trimmed.Length >= 4))
                    while (++i < lines.Count) { math.Add(lines[i]); if (lines[i].TrimEnd().EndsWith("$$")) break; }
                i++;
                sb.Append("<div class=\"math\">").Append(Esc(string.Join("\n", math))).Append("</div>\n");
                continue;
            }
            var heading = Heading().Match(trimmed);
            if (heading.Success && line.Length - line.TrimStart().Length < 4)
            {
                EndParagraph();
                int level = heading.Groups[1].Length;
                var text = heading.Groups[2].Value;
                sb.Append($"<h{level} id=\"{Slug(text)}\">").Append(Inline(text)).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (paragraph.Count > 0 && Regex.IsMatch(trimmed, @"^(=+|-+)$"))
            {
                int level = trimmed[0] == '=' ? 1 : 2;
                var text = string.Join(" ", paragraph).Trim();
                paragraph.Clear();
                sb.Append($"<h{level} id=\"{Slug(text)}\">").Append(Inline(text)).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (Rule().IsMatch(line)) { EndParagraph(); sb.Append("<hr>\n"); i++; continue; }
            if (trimmed.StartsWith('>'))
            {
                EndParagraph();
                var quote = new List<string>();
                while (i < lines.Count && lines[i].Trim().Length > 0)
                {
                    var q = lines[i].TrimStart();
                    quote.Add(q.StartsWith('>') ? q[1..].StartsWith(' ') ? q[2..] : q[1..] : q);
                    i++;
                }
                sb.Append("<blockquote>\n");
                RenderBlocks(quote, sb);
                sb.Append("</blockquote>\n");
                continue;
            }
            if (paragraph.Count == 0 && line.StartsWith("    "))
            {
                var code = new List<string>();
                while (i < lines.Count && (lines[i].StartsWith("    ") || lines[i].Trim().Length == 0)) code.Add(lines[i++]);
                while (code.Count > 0 && code[^1].Trim().Length == 0) code.RemoveAt(code.Count - 1);
                sb.Append("<pre><code>").Append(Esc(string.Join("\n", code.Select(c => c.Length >= 4 ? c[4..] : "")))).Append("</code></pre>\n");
                continue;
            }
            if (trimmed.Contains('|') && i + 1 < lines.Count && TableSeparator().IsMatch(lines[i + 1]) && lines[i + 1].Contains('-'))
            {
                EndParagraph();
                i = RenderTable(lines, i, sb);
                continue;
            }
            var item = ListItem().Match(line);
            if (item.Success && (paragraph.Count == 0 || item.Groups[4].Value.Length > 0) && !Rule().IsMatch(line))
            {
                EndParagraph();
                i = RenderList(lines, i, sb);
                continue;
            }
            if (paragraph.Count == 0 && HtmlBlock().IsMatch(line))
            {
                while (i < lines.Count && lines[i].Trim().Length > 0) sb.Append(lines[i++]).Append('\n');
                continue;
            }
            paragraph.Add(line.EndsWith("  ") ? line.TrimEnd() + "\u0002" : line);
            i++;
        }
        EndParagraph();
    }

    static int RenderList(List<string> lines, int i, StringBuilder sb)
    {
        var first = ListItem().Match(lines[i]);
        int indent = first.Groups[1].Length;
        bool ordered = char.IsDigit(first.Groups[2].Value[0]);
        if (ordered)
        {
            var start = int.Parse(first.Groups[2].Value.TrimEnd('.', ')'));
            sb.Append(start == 1 ? "<ol>\n" : $"<ol start=\"{start}\">\n");
        }
        else sb.Append("<ul>\n");
        while (i < lines.Count)
        {
            var m = ListItem().Match(lines[i]);
            if (!m.Success || m.Groups[1].Length != indent || char.IsDigit(m.Groups[2].Value[0]) != ordered) break;
            int contentIndent = m.Groups[1].Length + m.Groups[2].Length + Math.Max(1, m.Groups[3].Length);
            var body = new List<string> { m.Groups[4].Value };
            bool loose = false;
            i++;
            while (i < lines.Count)
            {
                var l = lines[i];
                if (l.Trim().Length == 0)
                {
                    if (i + 1 < lines.Count && Indent(lines[i + 1]) >= contentIndent && lines[i + 1].Trim().Length > 0) { body.Add(""); loose = true; i++; continue; }
                    break;
                }
                var sub = ListItem().Match(l);
                if (sub.Success && sub.Groups[1].Length <= indent) break;
                if (Indent(l) >= contentIndent || sub.Success) body.Add(Indent(l) >= contentIndent ? l[contentIndent..] : l.TrimStart());
                else if (!Rule().IsMatch(l) && !l.TrimStart().StartsWith('#')) body.Add(l.Trim());  // lazy continuation
                else break;
                i++;
            }
            var inner = new StringBuilder();
            RenderBlocks(body, inner);
            var html = inner.ToString().TrimEnd('\n');
            if (!loose && html.StartsWith("<p>"))
            {
                var end = html.IndexOf("</p>", StringComparison.Ordinal);
                html = html[3..end] + html[(end + 4)..];
            }
            sb.Append("<li>").Append(html).Append("</li>\n");
            while (i < lines.Count && lines[i].Trim().Length == 0 && i + 1 < lines.Count && ListItem().Match(lines[i + 1]) is { Success: true } next && next.Groups[1].Length == indent) i++;
        }
        sb.Append(ordered ? "</ol>\n" : "</ul>\n");
        return i;
    }

    static int Indent(string l) => l.Length - l.TrimStart(' ').Length;

    static int RenderTable(List<string> lines, int i, StringBuilder sb)
    {
        var header = Cells(lines[i]);
        var aligns = Cells(lines[i + 1]).Select(c =>
            c.StartsWith(':') && c.EndsWith(':') ? "center" : c.EndsWith(':') ? "right" : c.StartsWith(':') ? "left" : null).ToList();
        string Align(int k) => k < aligns.Count && aligns[k] is { } a ? $" style=\"text-align:{a}\"" : "";
        sb.Append("<table>\n<thead><tr>");
        for (int k = 0; k < header.Count; k++) sb.Append($"<th{Align(k)}>").Append(Inline(header[k])).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        i += 2;
        while (i < lines.Count && lines[i].Trim().Length > 0 && lines[i].Contains('|'))
        {
            var row = Cells(lines[i++]);
            sb.Append("<tr>");
            for (int k = 0; k < header.Count; k++)
                sb.Append($"<td{Align(k)}>").Append(k < row.Count ? Inline(row[k]) : "").Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        return i;
    }

    static List<string> Cells(string row)
    {
        var t = row.Trim();
        if (t.StartsWith('|')) t = t[1..];
        if (t.EndsWith('|') && !t.EndsWith("\\|")) t = t[..^1];
        var cells = new List<string>();
        var cur = new StringBuilder();
        bool inCode = false;
        for (int k = 0; k < t.Length; k++)
        {
            if (t[k] == '\\' && k + 1 < t.Length && t[k + 1] == '|') { cur.Append('|'); k++; continue; }
            if (t[k] == '`') inCode = !inCode;
            if (t[k] == '|' && !inCode) { cells.Add(cur.ToString().Trim()); cur.Clear(); continue; }
            cur.Append(t[k]);
        }
        cells.Add(cur.ToString().Trim());
        return cells;
    }

    [GeneratedRegex(@"(`+)(.+?)\1", RegexOptions.Singleline)] private static partial Regex CodeSpan();
    [GeneratedRegex(@"(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])")] private static partial Regex MathSpan();
    [GeneratedRegex(@"\\([\\`*_{}\[\]()#+\-.!|$<>~])")] private static partial Regex Escape();
    [GeneratedRegex(@"!\[([^\]]*)\]\(\s*(\S+?)(?:\s+&quot;(.*?)&quot;)?\s*\)")] private static partial Regex Image();
    [GeneratedRegex(@"\[([^\]]+)\]\(\s*(\S+?)(?:\s+&quot;(.*?)&quot;)?\s*\)")] private static partial Regex Link();
    [GeneratedRegex(@"&lt;(https?://[^\s&]+)&gt;")] private static partial Regex AutoLink();
    [GeneratedRegex(@"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", RegexOptions.Singleline)] private static partial Regex Strong();
    [GeneratedRegex(@"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")] private static partial Regex Emphasis();
    [GeneratedRegex(@"~~(?=\S)(.+?)(?<=\S)~~")] private static partial Regex Strike();

    /// <summary>Inline markdown to HTML (text is escaped; code and math spans are kept verbatim).</summary>
    public static string Inline(string text)
    {
        var slots = new List<string>();
        string Slot(string html) { slots.Add(html); return $"\u0001{slots.Count - 1}\u0001"; }
        text = CodeSpan().Replace(text, m => Slot("<code>" + Esc(m.Groups[2].Value.Trim()) + "</code>"));
        text = MathSpan().Replace(text, m => Slot("<span class=\"math\">" + Esc(m.Value) + "</span>"));
        text = Escape().Replace(text, m => Slot(Esc(m.Groups[1].Value)));
        text = Esc(text);
        text = Image().Replace(text, m => Slot($"<img src=\"{m.Groups[2].Value}\" alt=\"{m.Groups[1].Value}\"" +
            (m.Groups[3].Success ? $" title=\"{m.Groups[3].Value}\"" : "") + ">"));
        text = Link().Replace(text, m => $"<a href=\"{m.Groups[2].Value}\"" +
            (m.Groups[3].Success ? $" title=\"{m.Groups[3].Value}\"" : "") + $">{m.Groups[1].Value}</a>");
        text = AutoLink().Replace(text, m => $"<a href=\"{m.Groups[1].Value}\">{m.Groups[1].Value}</a>");
        text = Strong().Replace(text, m => $"<strong>{m.Groups[2].Value}</strong>");
        text = Emphasis().Replace(text, m => $"<em>{(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)}</em>");
        text = Strike().Replace(text, m => $"<del>{m.Groups[1].Value}</del>");
        text = text.Replace("\u0002\n", "<br>\n").Replace("\u0002", "");
        for (int k = slots.Count - 1; k >= 0; k--) text = text.Replace($"\u0001{k}\u0001", slots[k]);
        return text;
    }

    static string Esc(string s) => WebUtility.HtmlEncode(s).Replace("&#39;", "'");

    static string Slug(string text) =>
        Regex.Replace(Regex.Replace(text.ToLowerInvariant(), @"[^\w\s-]", ""), @"\s+", "-").Trim('-');
}
