using System.Text.Json.Serialization;

namespace NotebookSsl.Studies.Claims;

/// <summary>One side of a claim: a name and one value per seed.</summary>
public sealed record ClaimSide([property: JsonPropertyName("name")] string Name, [property: JsonPropertyName("values")] IReadOnlyList<double> Values);

/// <summary>One point of an increasing/decreasing claim: x and one value per seed.</summary>
public sealed record ClaimPoint([property: JsonPropertyName("x")] double X, [property: JsonPropertyName("values")] IReadOnlyList<double> Values);

/// <summary>
/// A claim of a paper tested by a notebook, in the results-JSON schema the findings page reads
/// (section; experiment = the first-column text of the row in shared/EXPERIMENTS.md; expect = a&gt;b, a&lt;b,
/// a~b, increasing or decreasing). The notebook states it; the findings generator gives the verdict.
/// </summary>
public sealed record Claim(
    [property: JsonPropertyName("section")] string Section,
    [property: JsonPropertyName("experiment")] string Experiment,
    [property: JsonPropertyName("claim")] string Text,
    [property: JsonPropertyName("paper")] string Paper,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("expect")] string Expect,
    [property: JsonPropertyName("a")] ClaimSide? A = null,
    [property: JsonPropertyName("b")] ClaimSide? B = null,
    [property: JsonPropertyName("series")] IReadOnlyList<ClaimPoint>? Series = null,
    [property: JsonPropertyName("tolerance")] double? Tolerance = null);
