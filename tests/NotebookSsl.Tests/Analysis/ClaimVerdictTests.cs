using NotebookSsl.Analysis;

namespace NotebookSsl.Tests.Analysis;

public class ClaimVerdictTests
{
    // a = {3, 4, 5}: mean 4, var 1; b = {1, 2, 3}: mean 2, var 1 → d = 2, s = 1, 2s = 2
    static readonly double[] Three = [3, 4, 5], One = [1, 2, 3];

    [Fact]
    public void Pooled_std_is_the_root_mean_of_the_sample_variances()
    {
        Assert.Equal(1, ClaimVerdict.PooledStd(Three, One), 12);
        // var {0, 2} = 2, var {0, 0, 6} = 12 → sqrt(7)
        Assert.Equal(Math.Sqrt(7), ClaimVerdict.PooledStd([0, 2], [0, 0, 6]), 12);
    }

    [Theory]
    // a > b: holds past 2s, fails at d ≤ 0, inconclusive between; d = 2 = 2s exactly is not past it
    [InlineData(new double[] { 3.1, 4.1, 5.1 }, new double[] { 1, 2, 3 }, Verdict.Holds)]        // d = 2.1
    [InlineData(new double[] { 3, 4, 5 }, new double[] { 1, 2, 3 }, Verdict.Inconclusive)]       // d = 2 = 2s
    [InlineData(new double[] { 1.5, 2.5, 3.5 }, new double[] { 1, 2, 3 }, Verdict.Inconclusive)] // d = 0.5
    [InlineData(new double[] { 1, 2, 3 }, new double[] { 1, 2, 3 }, Verdict.DoesNotHold)]        // d = 0
    [InlineData(new double[] { 0.9, 1.9, 2.9 }, new double[] { 1, 2, 3 }, Verdict.DoesNotHold)]  // d < 0
    public void Greater(double[] a, double[] b, Verdict expected) =>
        Assert.Equal(expected, ClaimVerdict.Pair(Expectation.Greater, a, b).Verdict);

    [Fact]
    public void Less_mirrors_greater()
    {
        Assert.Equal(Verdict.Holds, ClaimVerdict.Pair(Expectation.Less, [1, 2, 3], [3.1, 4.1, 5.1]).Verdict);
        Assert.Equal(Verdict.DoesNotHold, ClaimVerdict.Pair(Expectation.Less, Three, One).Verdict);
        Assert.Equal(Verdict.Inconclusive, ClaimVerdict.Pair(Expectation.Less, [1, 2, 3], [1.5, 2.5, 3.5]).Verdict);
    }

    [Theory]
    // a ~ b (a does as well as b), s = 1: holds at d ≥ −t, fails below −t − 2s
    [InlineData(0.0, 0.0, Verdict.Holds)]        // equal means
    [InlineData(5.0, 0.0, Verdict.Holds)]        // better counts as "as well as"
    [InlineData(-1.0, 0.0, Verdict.Inconclusive)] // worse, within the noise
    [InlineData(-2.5, 0.0, Verdict.DoesNotHold)] // worse beyond 2s
    [InlineData(-1.0, 1.0, Verdict.Holds)]       // within the tolerance
    [InlineData(-2.5, 1.0, Verdict.Inconclusive)] // past the tolerance, not past tolerance + 2s
    [InlineData(-3.5, 1.0, Verdict.DoesNotHold)]
    public void As_well_as_with_a_tolerance(double shift, double tolerance, Verdict expected)
    {
        var a = One.Select(v => v + shift).ToArray();
        Assert.Equal(expected, ClaimVerdict.Pair(Expectation.AsWellAs, a, One, tolerance).Verdict);
    }

    [Fact]
    public void One_seed_is_inconclusive_and_bad_input_is_refused()
    {
        var j = ClaimVerdict.Pair(Expectation.Greater, [90], [10]);
        Assert.Equal(Verdict.Inconclusive, j.Verdict);
        Assert.Contains("2 seeds", j.Evidence);
        Assert.Throws<ArgumentException>(() => ClaimVerdict.Pair(Expectation.Greater, [], [1, 2]));
        Assert.Throws<ArgumentException>(() => ClaimVerdict.Pair(Expectation.Greater, [double.NaN, 1], [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClaimVerdict.Pair(Expectation.AsWellAs, [1, 2], [1, 2], tolerance: -1));
        Assert.Throws<ArgumentException>(() => ClaimVerdict.Pair(Expectation.Increasing, [1, 2], [1, 2]));
        Assert.Throws<ArgumentException>(() => ClaimVerdict.ParseExpectation("a>=b"));
        Assert.Equal(Expectation.AsWellAs, ClaimVerdict.ParseExpectation(" a~b "));
    }

    static (double, IReadOnlyList<double>)[] Series(params (double X, double[] V)[] points) =>
        points.Select(p => (p.X, (IReadOnlyList<double>)p.V)).ToArray();

    [Fact]
    public void Trends_by_rank_correlation_of_the_means()
    {
        // monotone means, two equal seeds per x (no spread): the trend decides
        var up = Series((0.3, [1, 1]), (0.5, [2, 2]), (0.7, [3, 3]), (0.9, [4, 4]));
        Assert.Equal(Verdict.Holds, ClaimVerdict.Series(Expectation.Increasing, up).Verdict);
        Assert.Equal(Verdict.DoesNotHold, ClaimVerdict.Series(Expectation.Decreasing, up).Verdict);

        // means 3, 1, 2, 5, 4: ranks (2, 0, 1, 4, 3), Σd² = 8, ρ = 1 − 6·8/(5·24) = 0.6: up-ish, below 0.8
        var weak = Series((1, [3, 3]), (2, [1, 1]), (3, [2, 2]), (4, [5, 5]), (5, [4, 4]));
        Assert.Equal(0.6, Statistics.Spearman([1, 2, 3, 4, 5], [3, 1, 2, 5, 4]), 12);
        Assert.Equal(Verdict.Inconclusive, ClaimVerdict.Series(Expectation.Increasing, weak).Verdict);
        // ranks (1, 0, 2, 4, 3): ρ = 0.8, exactly the threshold, holds
        Assert.Equal(Verdict.Holds, ClaimVerdict.Series(Expectation.Increasing, Series((1, [2, 2]), (2, [1, 1]), (3, [3, 3]), (4, [5, 5]), (5, [4, 4]))).Verdict);

        // flat means: ρ undefined → no trend → does not hold; two x values are too few
        Assert.Equal(Verdict.DoesNotHold, ClaimVerdict.Series(Expectation.Increasing, Series((1, [2]), (2, [2]), (3, [2]))).Verdict);
        Assert.Equal(Verdict.Inconclusive, ClaimVerdict.Series(Expectation.Increasing, Series((1, [1]), (2, [2]))).Verdict);
    }

    [Fact]
    public void A_trend_with_one_seed_at_some_x_is_inconclusive_however_clean()
    {
        // a perfect rank order, but one x has a single seed: no spread to judge the change by (the too-few-seeds gate)
        var oneSeed = Series((1, [1, 1.1]), (2, [2]), (3, [3, 3.1]));
        var j = ClaimVerdict.Series(Expectation.Increasing, oneSeed);
        Assert.Equal(Verdict.Inconclusive, j.Verdict);
        Assert.Contains("fewer than 2 seeds", j.Evidence);
        var gate = ClaimVerdict.Gated(Expectation.Increasing, [("x = 1", [1, 1.1]), ("x = 2", [2]), ("x = 3", [3, 3.1])]);
        Assert.Equal(Gate.TooFewSeeds, gate?.Gate);
        Assert.Null(ClaimVerdict.Gated(Expectation.Increasing, [("x = 1", [1, 1.1]), ("x = 2", [2, 2]), ("x = 3", [3, 3.1])]));
    }

    [Fact]
    public void Gates_stop_claims_whose_measurement_cannot_be_trusted()
    {
        (string, IReadOnlyList<double>)[] maeVsRandom = [("MAE", [80, 81, 82]), ("random init", [75, 76, 77])];
        // not converged: a fine-tuning claim while random init fine-tunes below its own linear probe
        var g = ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "fine-tune", randomInitLinear: [75, 75], randomInitFineTune: [60, 62]);
        Assert.Equal(Gate.NotConverged, g?.Gate);
        Assert.Contains("61", g!.Value.Why);
        // a fine-tune with nothing to check it against: no convergence record (a linear claim needs none)
        Assert.Equal(Gate.NoConvergenceRecord, ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "fine-tune")?.Gate);
        Assert.Equal(Gate.NoConvergenceRecord, ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "fine-tune", randomInitLinear: [75, 75])?.Gate);
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "linear"));
        // converged (fine-tune ≥ linear), or a claim on another probe: no gate
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "fine-tune", randomInitLinear: [75, 75], randomInitFineTune: [79, 80]));
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "linear", randomInitLinear: [75, 75], randomInitFineTune: [60, 62]));
        // the attentive probe: not converged while random init's attentive probe is below its own linear probe
        var attentive = ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "attentive", randomInit: [72, 73], randomInitLinear: [75, 75]);
        Assert.Equal(Gate.NotConverged, attentive?.Gate);
        Assert.Contains("attentive probe reaches 72.5", attentive!.Value.Why);
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "attentive", randomInit: [76, 77], randomInitLinear: [75, 75]));
        Assert.Equal(Gate.NoConvergenceRecord, ClaimVerdict.Gated(Expectation.Greater, maeVsRandom, probe: "attentive", randomInit: [76, 77])?.Gate);

        // reference collapsed: "a does as well as b" while b is not above random init on that probe
        (string, IReadOnlyList<double>)[] parity = [("R-MAE", [50, 51]), ("MAE", [40, 41])];
        Assert.Equal(Gate.ReferenceCollapsed, ClaimVerdict.Gated(Expectation.AsWellAs, parity, probe: "linear", randomInit: [42, 43])?.Gate);
        Assert.Null(ClaimVerdict.Gated(Expectation.AsWellAs, parity, probe: "linear", randomInit: [30, 31]));
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, parity, probe: "linear", randomInit: [42, 43]));   // only parities

        // at chance: any side within 5 points of chance (10 % on 10 classes)
        Assert.Equal(Gate.AtChance, ClaimVerdict.Gated(Expectation.Greater, [("MAE", [80, 81]), ("C-MAE", [14, 15])], chance: 10)?.Gate);
        Assert.Null(ClaimVerdict.Gated(Expectation.Greater, [("MAE", [80, 81]), ("C-MAE", [15.5, 15.5])], chance: 10));
    }

    [Fact]
    public void With_seeds_a_trend_must_also_clear_the_noise_end_to_end()
    {
        // perfectly ranked means 1, 1.5, 2 but a spread of 1 per point: last − first = 1 < 2s = 2
        var noisy = Series((1, [0, 1, 2]), (2, [0.5, 1.5, 2.5]), (3, [1, 2, 3]));
        var j = ClaimVerdict.Series(Expectation.Increasing, noisy);
        Assert.Equal(Verdict.Inconclusive, j.Verdict);
        Assert.Contains("ρ = 1.00", j.Evidence);
        var clear = Series((1, [0, 1, 2]), (2, [2, 3, 4]), (3, [4, 5, 6]));   // last − first = 4 > 2
        Assert.Equal(Verdict.Holds, ClaimVerdict.Series(Expectation.Increasing, clear).Verdict);
        // decreasing: the same numbers read backwards in x
        var down = Series((3, [0, 1, 2]), (2, [2, 3, 4]), (1, [4, 5, 6]));
        Assert.Equal(Verdict.Holds, ClaimVerdict.Series(Expectation.Decreasing, down).Verdict);
    }

    [Fact]
    public void Spearman_gives_ties_their_mean_rank()
    {
        Assert.Equal(1, Statistics.Spearman([1, 2, 3], [10, 20, 30]), 12);
        Assert.Equal(-1, Statistics.Spearman([1, 2, 3], [3, 2, 1]), 12);
        // y ranks (0.5, 0.5, 2): Pearson with (0, 1, 2) = 0.866…
        Assert.Equal(Math.Sqrt(3) / 2, Statistics.Spearman([1, 2, 3], [5, 5, 9]), 12);
    }
}
