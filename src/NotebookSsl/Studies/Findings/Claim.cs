using System.Text.Json.Serialization;

namespace NotebookSsl.Studies.Findings;

/// <summary>One side of a pairwise claim: a name and one value per seed.</summary>
public sealed record ClaimSide(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("values")] IReadOnlyList<double> Values);

/// <summary>One x of a trend claim and its values (one per seed).</summary>
public sealed record ClaimPoint(
    [property: JsonPropertyName("x")] double X,
    [property: JsonPropertyName("values")] IReadOnlyList<double> Values);

/// <summary>
/// A claim as a notebook writes it into its results JSON (<c>"claims": [...]</c>), in the schema
/// <see cref="FindingsPage"/> reads: the section and the EXACT first-column text of the experiment's row in
/// shared/EXPERIMENTS.md, what is tested, the paper's numbers, the metric, the expectation, and one value
/// per seed for each side (or per x for a trend). The verdict is not written: the findings page computes it.
/// </summary>
public sealed record Claim
{
    [JsonPropertyName("section")] public required string Section { get; init; }
    [JsonPropertyName("experiment")] public required string Experiment { get; init; }
    [JsonPropertyName("claim")] public required string Text { get; init; }
    [JsonPropertyName("paper")] public string Paper { get; init; } = "";
    [JsonPropertyName("metric")] public string Metric { get; init; } = "";
    /// <summary>"a&gt;b", "a&lt;b", "a~b", "increasing" or "decreasing".</summary>
    [JsonPropertyName("expect")] public required string Expect { get; init; }
    /// <summary>For "a~b": how far a may fall below b (the metric's unit) and still do "as well".</summary>
    [JsonPropertyName("tolerance"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Tolerance { get; init; }
    [JsonPropertyName("a")] public ClaimSide? A { get; init; }
    [JsonPropertyName("b")] public ClaimSide? B { get; init; }
    [JsonPropertyName("series")] public IReadOnlyList<ClaimPoint>? Series { get; init; }
    /// <summary>What the verdict's gates check (<see cref="Analysis.ClaimVerdict.Gated"/>): the probe, random init's scores, chance.</summary>
    [JsonPropertyName("gates"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ClaimGates? Gates { get; init; }

    /// <summary>
    /// The verdict: the gates first (<see cref="Analysis.ClaimVerdict.Gated"/>: a gated claim is inconclusive, its evidence
    /// naming the gate and what the rule alone would say), then the rule. The findings page judges the JSON the same way.
    /// </summary>
    /// <exception cref="ArgumentException">A side or a point has no values, or a value is not finite.</exception>
    public (Analysis.ClaimJudgement Judgement, Analysis.Gate? Gate) Judge()
    {
        var expect = Analysis.ClaimVerdict.ParseExpectation(Expect);
        List<(string Name, IReadOnlyList<double> Values)> groups = Series is { } series
            ? series.Select(p => ($"x = {p.X:G4}", p.Values)).ToList()
            : [(A?.Name ?? "a", A?.Values ?? []), (B?.Name ?? "b", B?.Values ?? [])];
        var rule = Series is not null
            ? Analysis.ClaimVerdict.Series(expect, Series.Select(p => (p.X, p.Values)).ToList())
            : Analysis.ClaimVerdict.Pair(expect, groups[0].Values, groups[1].Values, Tolerance ?? 0);
        var g = Gates;
        if (Analysis.ClaimVerdict.Gated(expect, groups, ClaimGates.ProbeFor(g?.Probe, Metric), g?.RandomInit, g?.RandomInitLinear, g?.RandomInitFineTune, g?.Chance) is not { } stop)
            return (rule, null);
        string word = rule.Verdict switch { Analysis.Verdict.Holds => "holds", Analysis.Verdict.DoesNotHold => "does not hold", _ => "inconclusive" };
        return (new Analysis.ClaimJudgement(Analysis.Verdict.Inconclusive, $"{stop.Why}; the rule alone: {word}, {rule.Evidence}"), stop.Gate);
    }

    /// <summary>This claim with the gates' inputs taken from <paramref name="runs"/> (see <see cref="ClaimGates.Of"/>).</summary>
    public Claim GatedBy(IEnumerable<ArmRun> runs, Probes.Probe probe, int classes = 10) => this with { Gates = ClaimGates.Of(runs, probe, classes) };

    /// <summary>A pairwise claim: <paramref name="expect"/> is "a&gt;b", "a&lt;b" or "a~b".</summary>
    public static Claim Pair(string section, string experiment, string claim, string paper, string metric, string expect,
        ClaimSide a, ClaimSide b, double? tolerance = null)
    {
        var kind = Analysis.ClaimVerdict.ParseExpectation(expect);
        if (kind is Analysis.Expectation.Increasing or Analysis.Expectation.Decreasing)
            throw new ArgumentException($"'{expect}' is a trend: use {nameof(Trend)}.", nameof(expect));
        return new Claim { Section = section, Experiment = experiment, Text = claim, Paper = paper, Metric = metric, Expect = expect, A = a, B = b, Tolerance = tolerance };
    }

    /// <summary>A trend claim: <paramref name="expect"/> is "increasing" or "decreasing".</summary>
    public static Claim Trend(string section, string experiment, string claim, string paper, string metric, string expect,
        IReadOnlyList<ClaimPoint> series)
    {
        var kind = Analysis.ClaimVerdict.ParseExpectation(expect);
        if (kind is not (Analysis.Expectation.Increasing or Analysis.Expectation.Decreasing))
            throw new ArgumentException($"'{expect}' is a pairwise expectation: use {nameof(Pair)}.", nameof(expect));
        return new Claim { Section = section, Experiment = experiment, Text = claim, Paper = paper, Metric = metric, Expect = expect, Series = series };
    }
}

/// <summary>
/// The inputs of a claim's gates, in the claim's unit (percent): which probe its metric is, the random-init baseline of
/// the same run on that probe and on the linear probe and fine-tune (was the fine-tune converged?), and chance.
/// </summary>
public sealed record ClaimGates
{
    /// <summary>"linear", "k-NN", "fine-tune" or "attentive".</summary>
    [JsonPropertyName("probe")] public string? Probe { get; init; }
    [JsonPropertyName("randomInit"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<double>? RandomInit { get; init; }
    [JsonPropertyName("randomInitLinear"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<double>? RandomInitLinear { get; init; }
    [JsonPropertyName("randomInitFineTune"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<double>? RandomInitFineTune { get; init; }
    [JsonPropertyName("chance"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Chance { get; init; }

    /// <summary>
    /// Every claim whose metric is a probe's accuracy in percent (its metric names "fine-tune", "linear", "k-NN" or
    /// "attentive" and "%") with its gates from <paramref name="runs"/> (the comparison holding the random-init arm); other
    /// claims (a PSNR, a distance, a CKA) as they are: only the seeds gate applies to them.
    /// </summary>
    public static IReadOnlyList<Claim> Apply(IEnumerable<Claim> claims, IEnumerable<ArmRun> runs, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var all = runs.ToList();
        return claims.Select(c => ProbeOf(c.Metric) is { } probe ? c with { Gates = Of(all, probe, classes) } : c).ToList();
    }

    /// <summary>The probe a metric names, when it is an accuracy in percent ("fine-tune accuracy (%)"), else null.</summary>
    public static Probes.Probe? ProbeOf(string metric)
    {
        if (string.IsNullOrEmpty(metric) || !metric.Contains('%')) return null;
        var m = metric.ToLowerInvariant();
        return m.Contains("fine-tun") ? Probes.Probe.FineTune : m.Contains("attentive") ? Probes.Probe.Attentive
            : m.Contains("k-nn") ? Probes.Probe.Knn : m.Contains("linear") ? Probes.Probe.Linear : null;
    }

    /// <summary>
    /// The probe a claim is judged on: its gates' <paramref name="gatesProbe"/>, else the one its <paramref name="metric"/>
    /// names (a results file written before the gates), so that a fine-tune with no convergence record is still stopped.
    /// </summary>
    public static string? ProbeFor(string? gatesProbe, string? metric) =>
        gatesProbe ?? (ProbeOf(metric ?? "") is { } named ? ProbeName(named) : null);

    /// <summary>The probe's name in a claim's gates: "linear", "k-NN", "fine-tune" or "attentive".</summary>
    public static string ProbeName(Probes.Probe probe) => probe switch
    {
        Probes.Probe.Linear => "linear",
        Probes.Probe.Knn => "k-NN",
        Probes.Probe.FineTune => "fine-tune",
        Probes.Probe.Attentive => "attentive",
        _ => throw new ArgumentOutOfRangeException(nameof(probe), probe, "Name one probe."),
    };

    /// <summary>
    /// The gates of a claim on <paramref name="probe"/>'s accuracy in percent, from a comparison's runs: the "random init"
    /// arm's values (when the runs hold it; fine-tune only where it was run) and chance = 100 / <paramref name="classes"/>.
    /// </summary>
    public static ClaimGates Of(IEnumerable<ArmRun> runs, Probes.Probe probe, int classes = 10)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classifier has at least 2 classes.");
        var random = runs.Where(r => r.Arm == "random init").OrderBy(r => r.Seed).ToArray();
        double[]? Of(Probes.Probe p)
        {
            var values = random.Select(r => 100 * r.Scores[p]).Where(double.IsFinite).ToArray();
            return values.Length > 0 ? values : null;
        }
        return new ClaimGates
        {
            Probe = ProbeName(probe),
            RandomInit = Of(probe), RandomInitLinear = Of(Probes.Probe.Linear), RandomInitFineTune = Of(Probes.Probe.FineTune),
            Chance = 100.0 / classes,
        };
    }
}
