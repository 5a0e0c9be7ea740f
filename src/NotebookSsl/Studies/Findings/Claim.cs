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
