using NotebookSsl.Notebooks.Display;
using NotebookSsl.Probes;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Notebooks.Tests;

public class StudyDisplayTests
{
    static readonly ArmRun[] Runs =
    [
        new("MAE", 0, new ProbeScores(0.70, 0.60, 0.80, double.NaN), 0.5, 10),
        new("MAE", 1, new ProbeScores(0.72, 0.62, 0.82, double.NaN), 0.4, 12),
        new("random init", 0, new ProbeScores(0.65, 0.55, 0.75, double.NaN)),
        new("random init", 1, new ProbeScores(0.67, 0.57, 0.77, double.NaN)),
    ];

    [Fact]
    public void The_table_has_a_row_per_arm_and_a_column_per_probe_that_ran()
    {
        var table = StudyDisplay.Table(Runs);
        Assert.Equal(["arm", "linear (%)", "k-NN (%)", "fine-tune (%)", "final loss", "seeds"], table.Columns.Select(c => c.Name));
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal("71.0 ± 1.4", table.Columns["linear (%)"][0]);
        Assert.Equal("–", table.Columns["final loss"][1]);   // a baseline has no pretraining
        Assert.Equal("2", table.Columns["seeds"][0]);
    }

    [Fact]
    public void Claims_print_percentages_with_one_decimal_and_small_measures_with_three()
    {
        var percent = Claim.Pair("05", "CAE", "a beats b", "1 vs 2", "accuracy (%)", "a>b", new ClaimSide("a", [71.0, 73.0]), new ClaimSide("b", [60.0, 62.0]));
        var mse = Claim.Pair("05", "Fig. 3", "a is lower", "", "MSE", "a<b", new ClaimSide("a", [0.599, 0.601]), new ClaimSide("b", [0.74, 0.76]));
        var lines = StudyDisplay.Claims([percent, mse]).Split('\n');
        Assert.Contains("a 72.0 ± 1.4 vs b 61.0 ± 1.4", lines[0]);
        Assert.Contains("a 0.600 ± 0.001 vs b 0.750 ± 0.014", lines[1]);
    }

    [Fact]
    public void The_claim_table_shows_each_claim_with_the_papers_numbers_ours_and_the_findings_rule_verdict()
    {
        var holds = Claim.Pair("05", "CAE", "a beats b", "83.6 vs 82.9", "accuracy (%)", "a>b", new ClaimSide("a", [71.0, 73.0]), new ClaimSide("b", [60.0, 62.0]));
        var within = Claim.Pair("05", "CAE", "a beats b by little", "", "accuracy (%)", "a>b", new ClaimSide("a", [61.0, 65.0]), new ClaimSide("b", [60.0, 62.0]));
        var wrongSide = Claim.Pair("03", "R-MAE", "a as well as b", "", "PSNR (dB)", "a~b", new ClaimSide("a", [10.0, 10.1]), new ClaimSide("b", [20.0, 20.1]), tolerance: 1);
        var trend = Claim.Trend("06", "Table 5", "grows with x", "", "accuracy (%)", "increasing",
            [new ClaimPoint(1, [10.0, 11.0]), new ClaimPoint(2, [20.0, 21.0]), new ClaimPoint(3, [30.0, 31.0])]);
        var empty = Claim.Pair("05", "CAE", "no runs", "", "", "a>b", new ClaimSide("a", []), new ClaimSide("b", [1.0, 2.0]));

        var table = StudyDisplay.ClaimTable([holds, within, wrongSide, trend, empty]);

        Assert.Equal(["claim", "paper", "ours", "verdict"], table.Columns.Select(c => c.Name));
        Assert.Equal(5, table.Rows.Count);
        Assert.Equal("a beats b (accuracy (%); a>b)", table.Columns["claim"][0]);
        Assert.Equal("83.6 vs 82.9", table.Columns["paper"][0]);
        Assert.Equal("a: 72.0 ± 1.4 (n = 2); b: 61.0 ± 1.4 (n = 2)", table.Columns["ours"][0]);
        Assert.Equal("holds (d = 11, 2s = 2.828)", table.Columns["verdict"][0]);
        Assert.StartsWith("inconclusive (", (string)table.Columns["verdict"][1]);            // d = 2 inside 2s ≈ 4.2
        Assert.StartsWith("does not hold (", (string)table.Columns["verdict"][2]);           // 10 below b, far past the tolerance
        Assert.Equal("1: 10.50 ± 0.71 (n = 2) → 2: 20.50 ± 0.71 (n = 2) → 3: 30.50 ± 0.71 (n = 2)", table.Columns["ours"][3]);
        Assert.StartsWith("holds (ρ = 1.00", (string)table.Columns["verdict"][3]);
        Assert.Equal("a: no values; b: 1.50 ± 0.71 (n = 2)", table.Columns["ours"][4]);
        Assert.StartsWith("not judged (", (string)table.Columns["verdict"][4]);              // a missing side shows why, not an exception
    }
}
