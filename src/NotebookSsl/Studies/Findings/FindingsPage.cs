using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using NotebookSsl.Analysis;
using MdTable = Markdig.Extensions.Tables.Table;
using MdTableRow = Markdig.Extensions.Tables.TableRow;

namespace NotebookSsl.Studies.Findings;

/// <summary>One row of a table in shared/EXPERIMENTS.md: an experiment of a paper and what the paper found.</summary>
/// <param name="Section">"01", from the heading "## 01 · ...".</param>
/// <param name="Experiment">The first column, exactly as written (a results claim names it the same way).</param>
/// <param name="PaperFinding">The last column, the paper's finding (markdown).</param>
public sealed record ExperimentRow(string Section, string SectionTitle, string Experiment, string PaperFinding);

/// <summary>One side of a claim (or one x of a trend): its name and one value per seed.</summary>
public sealed record ClaimGroup(string Name, IReadOnlyList<double> Values);

/// <summary>A claim from a notebook's quick results JSON, judged by <see cref="ClaimVerdict"/>.</summary>
public sealed record JudgedClaim(
    string Notebook, string ResultsFile, string Section, string Experiment, string Claim, string Paper, string Metric,
    Expectation Expect, double Tolerance, IReadOnlyList<ClaimGroup> Groups, ClaimJudgement Judgement, Gate? Gate = null);

/// <summary>A row of the page: an experiment and the claims that test it (none: "not run").</summary>
/// <param name="NotebookLink">The notebook of the row's first claim, else the section's notebook.</param>
/// <param name="ClaimLinks">Per claim, the notebook that wrote it (a section's experiments may be split over notebooks, 03a–03e).</param>
public sealed record FindingRow(ExperimentRow Experiment, IReadOnlyList<JudgedClaim> Claims, string? NotebookLink, IReadOnlyList<string?> ClaimLinks);

/// <summary>The findings page: every experiment row, the claims that match none, and where they came from.</summary>
public sealed record FindingsModel(IReadOnlyList<FindingRow> Rows, IReadOnlyList<JudgedClaim> Unmatched, IReadOnlyList<string> Sources);

/// <summary>
/// notebooks/results/FINDINGS.md: one row per experiment of shared/EXPERIMENTS.md with the paper's finding,
/// ours (mean ± std over seeds for each compared group) from every notebooks/results/*-quick.json, a
/// verdict by <see cref="ClaimVerdict"/>'s rule (printed on the page) and a link to the notebook.
/// Experiments no claim tests yet read "not run". Nothing on the page is typed by hand: `nbssl findings`
/// writes it, and a test checks the committed page equals what this generator makes of the committed results.
/// </summary>
public static partial class FindingsPage
{
    /// <summary>The results files the page reads, in a notebooks/results folder.</summary>
    public const string ResultsPattern = "*-quick.json";

    [GeneratedRegex(@"^(\d{2})\s*·\s*(.+)$")]
    private static partial Regex SectionHeading();

    /// <summary>Every table row under a "## NN · title" heading of EXPERIMENTS.md, in order (header rows skipped).</summary>
    public static IReadOnlyList<ExperimentRow> ParseExperiments(string markdown)
    {
        var pipeline = new MarkdownPipelineBuilder().UsePipeTables().Build();
        var document = Markdown.Parse(markdown, pipeline);
        var rows = new List<ExperimentRow>();
        string? section = null, title = null;
        foreach (var block in document)
        {
            if (block is HeadingBlock { Level: 2 } heading)
            {
                var match = SectionHeading().Match(Source(markdown, heading.Inline?.Span ?? heading.Span).Trim());
                (section, title) = match.Success ? (match.Groups[1].Value, match.Groups[2].Value.Trim()) : (null, null);
            }
            else if (block is MdTable table && section is not null)
            {
                foreach (var row in table.OfType<MdTableRow>().Where(r => !r.IsHeader))
                {
                    var cells = row.Select(c => CellText(markdown, (ContainerBlock)c)).ToArray();
                    if (cells.Length < 2 || cells[0].Length == 0) continue;
                    rows.Add(new ExperimentRow(section, title!, cells[0], cells[^1]));
                }
            }
        }
        return rows;
    }

    static string Source(string text, SourceSpan span) =>
        span.IsEmpty || span.Start < 0 ? "" : text.Substring(span.Start, Math.Min(span.Length, text.Length - span.Start));

    // the cell's own source text: exactly what the file says, code spans and emphasis included
    static string CellText(string markdown, ContainerBlock cell) =>
        string.Join(" ", cell.OfType<LeafBlock>().Select(b => Source(markdown, b.Inline?.Span ?? b.Span).Trim())).Trim();

    /// <summary>
    /// The claims of one results JSON (none when it has no "claims"), each judged. Throws an
    /// <see cref="InvalidDataException"/> naming <paramref name="resultsFile"/> (and the claim) when the file is
    /// not JSON or a part is missing or of the wrong kind: the page is never built from a file only partly read.
    /// </summary>
    public static IReadOnlyList<JudgedClaim> ParseClaims(string json, string resultsFile)
    {
        try { return ReadClaims(json, resultsFile); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{resultsFile} is not valid JSON ({e.Message}); fix it or run its notebook again at size quick.", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException(e.Message.StartsWith(resultsFile) ? e.Message : $"{resultsFile}: {e.Message}", e);
        }
    }

    static List<JudgedClaim> ReadClaims(string json, string resultsFile)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{resultsFile}: holds a JSON {root.ValueKind}, not an object with \"claims\".");
        string notebook = root.TryGetProperty("notebook", out var nb) ? nb.GetString() ?? "" : Path.GetFileNameWithoutExtension(resultsFile);
        if (!root.TryGetProperty("claims", out var claims) || claims.ValueKind == JsonValueKind.Null) return [];
        if (claims.ValueKind != JsonValueKind.Array)
            throw new ArgumentException($"{resultsFile}: \"claims\" is a JSON {claims.ValueKind}, not an array of claims.");
        var judged = new List<JudgedClaim>();
        int index = 0;
        foreach (var c in claims.EnumerateArray())
        {
            string where = $"{resultsFile}, claim {index++}";
            if (c.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{where}: is a JSON {c.ValueKind}, not an object.");
            string Text(string name, bool required = true) =>
                c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                : required ? throw new ArgumentException($"{where}: \"{name}\" is missing or not a string.") : "";
            var expect = ClaimVerdict.ParseExpectation(Text("expect"));
            double tolerance = c.TryGetProperty("tolerance", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0;

            List<ClaimGroup> groups;
            ClaimJudgement judgement;
            if (expect is Expectation.Increasing or Expectation.Decreasing)
            {
                if (!c.TryGetProperty("series", out var series) || series.ValueKind != JsonValueKind.Array)
                    throw new ArgumentException($"{where}: '{Text("expect")}' needs a \"series\" of {{ \"x\", \"values\" }}.");
                var points = series.EnumerateArray().Select(p => (X: p.ValueKind == JsonValueKind.Object && p.TryGetProperty("x", out var x) && x.ValueKind == JsonValueKind.Number
                    ? x.GetDouble() : throw new ArgumentException($"{where}: a point of \"series\" has no number \"x\"."), Values: Values(p, where))).ToList();
                groups = points.Select(p => new ClaimGroup($"x = {Number(p.X)}", p.Values)).ToList();
                judgement = ClaimVerdict.Series(expect, points.Select(p => (p.X, (IReadOnlyList<double>)p.Values)).ToList());
            }
            else
            {
                ClaimGroup Group(string side) => c.TryGetProperty(side, out var g) && g.ValueKind == JsonValueKind.Object
                    ? new ClaimGroup(g.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : side, Values(g, where))
                    : throw new ArgumentException($"{where}: '{Text("expect")}' needs \"{side}\": {{ \"name\", \"values\" }}.");
                groups = [Group("a"), Group("b")];
                judgement = ClaimVerdict.Pair(expect, groups[0].Values, groups[1].Values, tolerance);
            }
            // the gates come first: a gated claim is inconclusive, and says which gate and what the rule alone would say
            var g = Gates(c, where);
            var gated = ClaimVerdict.Gated(expect, groups.Select(x => (x.Name, (IReadOnlyList<double>)x.Values)).ToList(),
                ClaimGates.ProbeFor(g.Probe, Text("metric", required: false)), g.RandomInit, g.Linear, g.FineTune, g.Chance);
            if (gated is { } stop)
                judgement = new ClaimJudgement(Verdict.Inconclusive, $"{stop.Why}; the rule alone: {VerdictWord(judgement.Verdict)}, {judgement.Evidence}");
            judged.Add(new JudgedClaim(notebook, resultsFile, Text("section").Trim(), Text("experiment").Trim(), Text("claim"),
                Text("paper", required: false), Text("metric", required: false), expect, tolerance, groups, judgement, gated?.Gate));
        }
        return judged;
    }

    // a claim's "gates" object (optional): { "probe", "randomInit", "randomInitLinear", "randomInitFineTune", "chance" }
    static (string? Probe, List<double>? RandomInit, List<double>? Linear, List<double>? FineTune, double? Chance) Gates(JsonElement claim, string where)
    {
        if (!claim.TryGetProperty("gates", out var g) || g.ValueKind == JsonValueKind.Null) return default;
        if (g.ValueKind != JsonValueKind.Object) throw new ArgumentException($"{where}: \"gates\" is a JSON {g.ValueKind}, not an object.");
        List<double>? List(string name) => g.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : throw new ArgumentException($"{where}: gates.{name} holds {x}, not a number.")).ToList()
            : null;
        return (g.TryGetProperty("probe", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null,
            List("randomInit"), List("randomInitLinear"), List("randomInitFineTune"),
            g.TryGetProperty("chance", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDouble() : null);
    }

    static string VerdictWord(Verdict v) => v switch { Verdict.Holds => "holds", Verdict.DoesNotHold => "does not hold", _ => "inconclusive" };

    static List<double> Values(JsonElement group, string where) =>
        group.TryGetProperty("values", out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetDouble() : throw new ArgumentException($"{where}: a value is not a number ({x})")).ToList()
            : throw new ArgumentException($"{where}: a group has no \"values\" array.");

    /// <summary>
    /// The page model. <paramref name="results"/>: (file name, JSON text) of each quick results file;
    /// <paramref name="notebookLink"/>: the link to a notebook, from its name ("01-decoder-locality") or its
    /// section ("01"), or null when there is no such notebook.
    /// </summary>
    public static FindingsModel Build(string experimentsMarkdown, IEnumerable<(string File, string Json)> results, Func<string, string?> notebookLink)
    {
        var experiments = ParseExperiments(experimentsMarkdown);
        var files = results.OrderBy(r => r.File, StringComparer.Ordinal).ToList();
        var claims = files.SelectMany(r => ParseClaims(r.Json, r.File)).ToList();
        var rows = experiments.Select(e =>
        {
            var mine = claims.Where(c => c.Section == e.Section && c.Experiment == e.Experiment).ToList();
            var link = mine.Count > 0 ? notebookLink(mine[0].Notebook) ?? notebookLink(e.Section) : notebookLink(e.Section);
            return new FindingRow(e, mine, link, mine.Select(c => notebookLink(c.Notebook) ?? link).ToList());
        }).ToList();
        var unmatched = claims.Where(c => !experiments.Any(e => e.Section == c.Section && e.Experiment == c.Experiment)).ToList();
        return new FindingsModel(rows, unmatched, files.Select(f => f.File).ToList());
    }

    /// <summary>
    /// Reads <paramref name="experimentsPath"/> and every <see cref="ResultsPattern"/> in
    /// <c>{repositoryRoot}/notebooks/results</c>; links point from that folder to <c>notebooks/NN-name.ipynb</c>
    /// (or the .dib where there is no .ipynb).
    /// </summary>
    public static FindingsModel FromFiles(string repositoryRoot, string experimentsPath)
    {
        if (!File.Exists(experimentsPath)) throw new FileNotFoundException($"The experiments page is not at {experimentsPath}.", experimentsPath);
        var notebooks = Path.Combine(repositoryRoot, "notebooks");
        var resultsFolder = Path.Combine(notebooks, "results");
        var results = Directory.Exists(resultsFolder)
            ? Directory.GetFiles(resultsFolder, ResultsPattern).Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList()
            : [];
        // read each file once under its full path first, so that an error names the file to fix, not only its name
        foreach (var (name, json) in results) ParseClaims(json, Path.Combine(resultsFolder, name));
        string? Link(string key)
        {
            if (!Directory.Exists(notebooks)) return null;
            // a notebook's exact name, else the notebook of a section ("01" → 01-*.ipynb)
            foreach (var pattern in new[] { key + ".ipynb", key + ".dib", key + "-*.ipynb", key + "-*.dib" })
            {
                var found = Directory.GetFiles(notebooks, pattern).Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault();
                if (found is not null) return "../" + found;
            }
            return null;
        }
        return Build(File.ReadAllText(experimentsPath), results, Link);
    }

    /// <summary>
    /// Where EXPERIMENTS.md is by default: <c>../shared/EXPERIMENTS.md</c> from the repository root, else the
    /// first <c>shared/EXPERIMENTS.md</c> further up (a git worktree one folder deeper); the first path when none exists.
    /// </summary>
    public static string DefaultExperimentsPath(string repositoryRoot)
    {
        var first = Path.GetFullPath(Path.Combine(repositoryRoot, "..", "shared", "EXPERIMENTS.md"));
        for (var dir = Directory.GetParent(Path.GetFullPath(repositoryRoot)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "EXPERIMENTS.md");
            if (File.Exists(candidate)) return candidate;
        }
        return first;
    }

    /// <summary>Where the page goes: <c>notebooks/results/FINDINGS.md</c>.</summary>
    public static string DefaultPagePath(string repositoryRoot) => Path.Combine(repositoryRoot, "notebooks", "results", "FINDINGS.md");

    /// <summary>The page's markdown for a repository: <see cref="Render"/> of <see cref="FromFiles"/>.</summary>
    public static string Generate(string repositoryRoot, string? experimentsPath = null) =>
        Render(FromFiles(repositoryRoot, experimentsPath ?? DefaultExperimentsPath(repositoryRoot)));

    /// <summary>The page's markdown (deterministic: no dates, invariant numbers, "\n" line ends).</summary>
    public static string Render(FindingsModel model)
    {
        var all = model.Rows.SelectMany(r => r.Claims).ToList();
        int Count(Verdict v) => all.Count(c => c.Judgement.Verdict == v);
        var sb = new StringBuilder();
        sb.Append("# Findings: the papers' claims against our quick runs\n\n");
        sb.Append("<!-- generated by `nbssl findings` from notebooks/results/*-quick.json and shared/EXPERIMENTS.md; do not edit -->\n\n");
        sb.Append("One row per experiment of [EXPERIMENTS.md](../../../shared/EXPERIMENTS.md) (kept beside the repository as ")
          .Append("`../shared/EXPERIMENTS.md`), one line per claim a notebook tested at size `quick`. The paper's numbers are ")
          .Append("ImageNet/ViT-B figures; ours come from laptop-size runs, so what can agree is the *direction* of a finding.\n\n");
        sb.Append($"**{all.Count} claims tested: {Count(Verdict.Holds)} hold, {Count(Verdict.DoesNotHold)} do not hold, ")
          .Append($"{Count(Verdict.Inconclusive)} inconclusive; {model.Rows.Count(r => r.Claims.Count == 0)} of {model.Rows.Count} experiments not run.**\n\n");
        sb.Append("Claims stopped by a gate (inconclusive whatever their numbers; see the rule below): ")
          .Append(string.Join(", ", Enum.GetValues<Gate>().Select(g => $"{ClaimVerdict.GateName(g)} {all.Count(c => c.Gate == g)}")))
          .Append(".\n\n");

        foreach (var section in model.Rows.GroupBy(r => (r.Experiment.Section, r.Experiment.SectionTitle)))
        {
            sb.Append($"## {section.Key.Section} · {section.Key.SectionTitle}\n\n");
            sb.Append("| experiment | paper's finding | claim tested | paper | ours (mean ± std, n seeds) | verdict | notebook |\n");
            sb.Append("|---|---|---|---|---|---|---|\n");
            foreach (var row in section)
            {
                static string LinkText(string? link) => link is null ? "no notebook yet" : $"[{Path.GetFileNameWithoutExtension(link[3..])}]({link})";
                if (row.Claims.Count == 0)
                {
                    sb.Append($"| {Cell(row.Experiment.Experiment)} | {Cell(row.Experiment.PaperFinding)} | | | | not run | {LinkText(row.NotebookLink)} |\n");
                    continue;
                }
                for (int i = 0; i < row.Claims.Count; i++)
                {
                    var claim = row.Claims[i];
                    sb.Append($"| {Cell(row.Experiment.Experiment)} | {Cell(row.Experiment.PaperFinding)} | {Cell(ClaimText(claim))} | {Cell(claim.Paper)} | ")
                      .Append($"{Cell(Ours(claim))} | {VerdictText(claim.Judgement)} | {LinkText(row.ClaimLinks[i])} |\n");
                }
            }
            sb.Append('\n');
        }

        if (model.Unmatched.Count > 0)
        {
            sb.Append("## Claims that name no experiment of EXPERIMENTS.md\n\n");
            sb.Append("A claim's `section` and `experiment` must repeat a row's section number and first column exactly.\n\n");
            sb.Append("| results file | section | experiment | claim | ours | verdict |\n|---|---|---|---|---|---|\n");
            foreach (var c in model.Unmatched)
                sb.Append($"| {Cell(c.ResultsFile)} | {Cell(c.Section)} | {Cell(c.Experiment)} | {Cell(ClaimText(c))} | {Cell(Ours(c))} | {VerdictText(c.Judgement)} |\n");
            sb.Append('\n');
        }

        sb.Append("## How a verdict is decided\n\n").Append(ClaimVerdict.RuleMarkdown.Replace("\r\n", "\n").TrimEnd()).Append("\n\n");
        sb.Append("## Sources\n\n");
        if (model.Sources.Count == 0) sb.Append("No quick results yet.\n");
        foreach (var s in model.Sources) sb.Append($"- [{s}]({s})\n");
        return sb.ToString();
    }

    static string ClaimText(JudgedClaim c)
    {
        var expect = c.Expect switch
        {
            Expectation.Greater => "a > b",
            Expectation.Less => "a < b",
            Expectation.AsWellAs => c.Tolerance > 0 ? $"a ≥ b − {Number(c.Tolerance)}" : "a ≥ b",
            Expectation.Increasing => "increasing in x",
            _ => "decreasing in x",
        };
        return string.IsNullOrEmpty(c.Metric) ? $"{c.Claim} ({expect})" : $"{c.Claim} ({c.Metric}; {expect})";
    }

    static string Ours(JudgedClaim c)
    {
        if (c.Expect is Expectation.Increasing or Expectation.Decreasing)
            return string.Join("; ", c.Groups.Select(g => $"{g.Name}: {MeanStd(g.Values)}"));
        return $"a = {c.Groups[0].Name}: {MeanStd(c.Groups[0].Values)}<br>b = {c.Groups[1].Name}: {MeanStd(c.Groups[1].Values)}";
    }

    static string VerdictText(ClaimJudgement j) => j.Verdict switch
    {
        Verdict.Holds => $"**holds** ({j.Evidence})",
        Verdict.DoesNotHold => $"**does not hold** ({j.Evidence})",
        _ => $"inconclusive ({j.Evidence})",
    };

    /// <summary>"mean ± std (n = k)", with as many decimals as the spread has meaning (two significant digits of the std).</summary>
    public static string MeanStd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        if (values.Count < 2) return $"{Number(mean)} (n = {values.Count})";
        double std = Math.Sqrt(ClaimVerdict.Variance(values));
        int decimals = std > 0 ? Math.Clamp(1 - (int)Math.Floor(Math.Log10(std)), 0, 4) : 2;
        string f = "F" + decimals;
        return $"{mean.ToString(f, CultureInfo.InvariantCulture)} ± {std.ToString(f, CultureInfo.InvariantCulture)} (n = {values.Count})";
    }

    static string Number(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    // a table cell: one line, pipes escaped
    static string Cell(string text) => text.Replace("\r", "").Replace("\n", " ").Replace("|", "\\|").Trim();
}
