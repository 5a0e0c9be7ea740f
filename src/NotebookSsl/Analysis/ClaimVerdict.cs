using System.Globalization;

namespace NotebookSsl.Analysis;

/// <summary>What a claim expects of its measurements (the results JSON's <c>expect</c>).</summary>
public enum Expectation
{
    /// <summary><c>a&gt;b</c>: a scores higher than b.</summary>
    Greater,
    /// <summary><c>a&lt;b</c>: a scores lower than b.</summary>
    Less,
    /// <summary><c>a~b</c>: a does as well as b (is not lower by more than the tolerance).</summary>
    AsWellAs,
    /// <summary><c>increasing</c>: the measure grows with x.</summary>
    Increasing,
    /// <summary><c>decreasing</c>: the measure falls with x.</summary>
    Decreasing,
}

/// <summary>The outcome of testing a claim on our runs.</summary>
public enum Verdict { Holds, DoesNotHold, Inconclusive }

/// <summary>A reason a claim's measurement cannot be trusted, checked before its rule (<see cref="ClaimVerdict.Gated"/>).</summary>
public enum Gate { NotConverged, NoConvergenceRecord, ReferenceCollapsed, AtChance, TooFewSeeds }

/// <summary>A verdict and the numbers it was decided on, in words (e.g. "d = 3.10, 2s = 1.20").</summary>
public sealed record ClaimJudgement(Verdict Verdict, string Evidence);

/// <summary>
/// The rule that turns a claim's per-seed measurements into holds / does not hold / inconclusive. The same
/// rule decides every row of the findings page, and <see cref="RuleMarkdown"/> prints it there.
/// <para>Pairs: d = mean(a) − mean(b), s = sqrt((var_a + var_b) / 2) with sample variances (n − 1),
/// the pooled seed-to-seed spread. A difference counts as resolved when it exceeds
/// <see cref="Resolution"/>·s (2 s: Cohen's d above 2, stricter than a t-test at 3 seeds, because seeds
/// on a shared CPU are few and their spread is itself uncertain).</para>
/// <list type="bullet">
/// <item>a&gt;b: holds if d &gt; 2s; does not hold if d ≤ 0 (our mean is not on the claimed side); inconclusive
/// between (the right direction, within the noise). a&lt;b mirrors it with −d.</item>
/// <item>a~b, "a does as well as b", tolerance t ≥ 0 (the claim's, in the metric's unit; 0 when absent):
/// holds if d ≥ −t (a's mean is at most t below b's); does not hold if d &lt; −t − 2s (a is worse by more
/// than the tolerance, beyond the noise); inconclusive between. A burden of proof mirrored from a&gt;b: an
/// advantage must be resolved, a parity only not contradicted.</item>
/// <item>increasing / decreasing over a series of x: ρ = Spearman's rank correlation of the per-x means
/// with x (sign flipped for decreasing). Holds if ρ ≥ <see cref="RankThreshold"/> and, when every x has
/// ≥ 2 seeds, the last mean differs from the first in the claimed direction by more than 2s (s pooled over
/// those two points); does not hold if ρ ≤ 0; inconclusive otherwise, with fewer than 3 x values, or with fewer than
/// 2 seeds at any x.</item>
/// <item>A pair with fewer than 2 values on either side is inconclusive: there is no spread to compare with.</item>
/// </list>
/// </summary>
public static class ClaimVerdict
{
    /// <summary>How many pooled standard deviations make a difference resolved.</summary>
    public const double Resolution = 2;
    /// <summary>The rank correlation a trend needs to hold (with 5 x values, ρ ≥ 0.8 happens by chance about 1 time in 12).</summary>
    public const double RankThreshold = 0.8;

    /// <summary>Parses the JSON's <c>expect</c> string: "a&gt;b", "a&lt;b", "a~b", "increasing", "decreasing".</summary>
    public static Expectation ParseExpectation(string text) => text.Trim() switch
    {
        "a>b" => Expectation.Greater,
        "a<b" => Expectation.Less,
        "a~b" => Expectation.AsWellAs,
        "increasing" => Expectation.Increasing,
        "decreasing" => Expectation.Decreasing,
        _ => throw new ArgumentException($"Unknown expectation '{text}': use a>b, a<b, a~b, increasing or decreasing."),
    };

    /// <summary>Sample variance (n − 1); 0 for a single value.</summary>
    public static double Variance(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no value.", nameof(values));
        if (values.Count == 1) return 0;
        double mean = values.Average();
        return values.Sum(x => (x - mean) * (x - mean)) / (values.Count - 1);
    }

    /// <summary>s = sqrt((var_a + var_b) / 2), sample variances.</summary>
    public static double PooledStd(IReadOnlyList<double> a, IReadOnlyList<double> b) => Math.Sqrt((Variance(a) + Variance(b)) / 2);

    /// <summary>Judges a pairwise claim (<see cref="Expectation.Greater"/>, <see cref="Expectation.Less"/>, <see cref="Expectation.AsWellAs"/>).</summary>
    public static ClaimJudgement Pair(Expectation expect, IReadOnlyList<double> a, IReadOnlyList<double> b, double tolerance = 0)
    {
        if (expect is Expectation.Increasing or Expectation.Decreasing)
            throw new ArgumentException($"'{expect}' is judged on a series: call {nameof(Series)}.");
        if (a.Count == 0 || b.Count == 0) throw new ArgumentException($"A pairwise claim needs values for a and b, got {a.Count} and {b.Count}.");
        if (tolerance < 0 || double.IsNaN(tolerance)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be ≥ 0.");
        if (a.Concat(b).Any(v => !double.IsFinite(v))) throw new ArgumentException("A claim's values must be finite numbers.");
        if (a.Count < 2 || b.Count < 2)
            return new ClaimJudgement(Verdict.Inconclusive, $"needs ≥ 2 seeds per side; got {a.Count} and {b.Count}");

        double d = a.Average() - b.Average(), s = PooledStd(a, b), band = Resolution * s;
        string numbers = $"d = {F(d)}, 2s = {F(band)}";
        switch (expect)
        {
            case Expectation.Greater or Expectation.Less:
                double signed = expect == Expectation.Greater ? d : -d;
                var verdict = signed > band ? Verdict.Holds : signed <= 0 ? Verdict.DoesNotHold : Verdict.Inconclusive;
                return new ClaimJudgement(verdict, numbers);
            default:
                string withTolerance = tolerance > 0 ? $"{numbers}, t = {F(tolerance)}" : numbers;
                var parity = d >= -tolerance ? Verdict.Holds : d < -tolerance - band ? Verdict.DoesNotHold : Verdict.Inconclusive;
                return new ClaimJudgement(parity, withTolerance);
        }
    }

    /// <summary>Judges a trend claim over (x, per-seed values) points.</summary>
    public static ClaimJudgement Series(Expectation expect, IReadOnlyList<(double X, IReadOnlyList<double> Values)> points)
    {
        if (expect is not (Expectation.Increasing or Expectation.Decreasing))
            throw new ArgumentException($"'{expect}' is judged on a pair: call {nameof(Pair)}.");
        if (points.Any(p => p.Values.Count == 0)) throw new ArgumentException("Every point of a series needs at least one value.");
        if (points.SelectMany(p => p.Values.Append(p.X)).Any(v => !double.IsFinite(v))) throw new ArgumentException("A series' x and values must be finite numbers.");
        if (points.Count < 3) return new ClaimJudgement(Verdict.Inconclusive, $"needs ≥ 3 x values; got {points.Count}");

        var sorted = points.OrderBy(p => p.X).ToArray();
        double sign = expect == Expectation.Increasing ? 1 : -1;
        double rho = sign * Statistics.Spearman(sorted.Select(p => p.X).ToArray(), sorted.Select(p => p.Values.Average()).ToArray());
        if (double.IsNaN(rho)) rho = 0;   // all means equal: no trend
        string numbers = $"ρ = {rho.ToString("0.00", CultureInfo.InvariantCulture)}";
        if (rho <= 0) return new ClaimJudgement(Verdict.DoesNotHold, numbers);
        if (rho < RankThreshold) return new ClaimJudgement(Verdict.Inconclusive, numbers);

        // with seeds at every x, the end-to-end change must also clear the noise
        var (first, last) = (sorted[0].Values, sorted[^1].Values);
        if (sorted.All(p => p.Values.Count >= 2))
        {
            double change = sign * (last.Average() - first.Average()), band = Resolution * PooledStd(first, last);
            numbers += $", first→last {F(sign * change)}, 2s = {F(band)}";
            return new ClaimJudgement(change > band ? Verdict.Holds : Verdict.Inconclusive, numbers);
        }
        // fewer than 2 seeds at some x: the trend's points carry no spread to judge it by (as a pair with 1 seed a side)
        return new ClaimJudgement(Verdict.Inconclusive, $"{numbers}, fewer than 2 seeds at some x");
    }

    /// <summary>
    /// The gates a claim passes before its rule is applied: each names a way its measurement cannot be trusted, and a
    /// gated claim is inconclusive whatever its numbers say. <paramref name="sides"/> are the claim's groups (a and b, or
    /// the trend's points); the inputs are the claim's <c>gates</c> (null: the claim gave none, only the seeds gate applies).
    /// </summary>
    /// <param name="probe">The probe the claim's metric is ("fine-tune", "linear", "k-NN", "attentive"), or null.</param>
    /// <param name="randomInit">Random init's per-seed values on the claim's probe (the collapse gate's floor; for the attentive probe, the convergence gate's too), or null.</param>
    /// <param name="randomInitLinear">Random init's linear probe, per seed (the convergence gate), or null.</param>
    /// <param name="randomInitFineTune">Random init's fine-tune, per seed (the convergence gate), or null.</param>
    /// <param name="chance">Chance in the metric's unit (10 for % accuracy on 10 classes), or null.</param>
    /// <returns>The first gate that stops the claim and why, in words with its numbers; null when none does.</returns>
    public static (Gate Gate, string Why)? Gated(Expectation expect, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> sides,
        string? probe = null, IReadOnlyList<double>? randomInit = null, IReadOnlyList<double>? randomInitLinear = null,
        IReadOnlyList<double>? randomInitFineTune = null, double? chance = null)
    {
        ArgumentNullException.ThrowIfNull(sides);
        static bool Has(IReadOnlyList<double>? v) => v is { Count: > 0 } && v.All(double.IsFinite);
        // a trained probe is trusted when random init's reaches its own linear probe on the same features: the fine-tune
        // starts from them, and the attentive head (cross-attention on the frozen tokens) can learn the mean token the
        // linear probe reads; results that hold no such record (written before the gates) are not trusted either
        (IReadOnlyList<double>? Values, string Reaches, string Record)? trained = probe switch
        {
            "fine-tune" => (randomInitFineTune, "random init fine-tunes to", "fine-tune and linear probe to show this fine-tune converged"),
            "attentive" => (randomInit, "random init's attentive probe reaches", "attentive and linear probe to show this attentive probe converged"),
            _ => null,
        };
        if (trained is var (values, reaches, record))
        {
            if (!(Has(values) && Has(randomInitLinear)))
                return (Gate.NoConvergenceRecord, $"{GateName(Gate.NoConvergenceRecord)}: the results hold no random-init {record}");
            if (values!.Average() is var reached && randomInitLinear!.Average() is var linear && reached < linear)
                return (Gate.NotConverged, $"{GateName(Gate.NotConverged)}: {reaches} {F(reached)}, below its own linear probe {F(linear)}");
        }
        if (expect == Expectation.AsWellAs && sides.Count == 2 && Has(randomInit) && sides[1].Values.Count > 0
            && sides[1].Values.Average() is var reference && randomInit!.Average() is var floor && reference <= floor)
            return (Gate.ReferenceCollapsed, $"{GateName(Gate.ReferenceCollapsed)}: {sides[1].Name} ({F(reference)}) is not above random init ({F(floor)})");
        if (chance is { } c && sides.FirstOrDefault(s => s.Values.Count > 0 && s.Values.Average() <= c + ChanceMargin) is { Name: not null } low)
            return (Gate.AtChance, $"{GateName(Gate.AtChance)}: {low.Name} ({F(low.Values.Average())}) is within {F(ChanceMargin)} of chance ({F(c)})");
        if (expect is Expectation.Increasing or Expectation.Decreasing && sides.Count > 0 && sides.Min(s => s.Values.Count) < 2)
            return (Gate.TooFewSeeds, $"{GateName(Gate.TooFewSeeds)}: {sides.Min(s => s.Values.Count)} seed at some x, needs ≥ 2");
        return null;
    }

    /// <summary>How close to chance an arm may score and still count (in the metric's unit: points of accuracy).</summary>
    public const double ChanceMargin = 5;

    /// <summary>A gate's name as the findings page writes it.</summary>
    public static string GateName(Gate gate) => gate switch
    {
        Gate.NotConverged => "not converged",
        Gate.NoConvergenceRecord => "no convergence record",
        Gate.ReferenceCollapsed => "reference collapsed",
        Gate.AtChance => "at chance",
        _ => "too few seeds",
    };

    static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The rule in words, for the findings page.</summary>
    public static string RuleMarkdown => $"""
        Every verdict is computed by `ClaimVerdict` (src/NotebookSsl/Analysis/ClaimVerdict.cs) from the per-seed values in the
        notebook's quick results; nothing on this page is typed by hand.

        - **Pairs.** d = mean(a) − mean(b); s = √((var_a + var_b) / 2), sample variances (n − 1): the pooled seed-to-seed
          spread. A difference is *resolved* when it exceeds {Resolution}·s.
          - `a>b`: **holds** if d > 2s; **does not hold** if d ≤ 0 (our mean is not on the claimed side); otherwise
            **inconclusive** (right direction, within the noise). `a<b` is the same with −d.
          - `a~b` ("a does as well as b", tolerance t in the metric's unit, 0 unless the claim gives one): **holds** if
            d ≥ −t; **does not hold** if d < −t − 2s (worse by more than the tolerance, beyond the noise); otherwise
            **inconclusive**. An advantage must be resolved; a parity must only not be contradicted.
          - Fewer than 2 seeds on either side: **inconclusive** (no spread to compare with).
        - **Trends** (`increasing` / `decreasing` over x): ρ = Spearman's rank correlation between x and the per-x means
          (sign flipped for decreasing). **Holds** if ρ ≥ {RankThreshold.ToString("0.0", CultureInfo.InvariantCulture)} and, when every x has ≥ 2 seeds, the last mean differs from the first
          in the claimed direction by more than 2s (s pooled over those two points); **does not hold** if ρ ≤ 0;
          otherwise **inconclusive**, and also with fewer than 3 x values.
        - **Gates.** Before the rule, a claim passes five gates; a gated claim is **inconclusive**, and the page names the gate:
          - *not converged*: a fine-tuning claim when random init's fine-tune (same run) is below its own linear probe:
            the fine-tune did not reach what a linear head on the same features reaches, so it ranks nothing; and an
            attentive-probe claim when random init's attentive probe is below its own linear probe (the mean token the
            linear probe reads is one pooling the attentive head can learn);
          - *no convergence record*: a fine-tuning or attentive-probe claim whose results hold no random-init values of that
            probe and the linear probe to check it against (results files written before the gates);
          - *reference collapsed*: a parity claim (`a~b`) when b is not above random init on that probe: matching a
            reference that learned nothing is no parity;
          - *at chance*: any arm within {ChanceMargin} points of chance (10 % on 10 classes);
          - *too few seeds*: a trend with fewer than 2 seeds at any x (as a pair with fewer than 2 seeds a side).
        - **Not run**: no quick results carry a claim for the experiment yet.
        """;
}
