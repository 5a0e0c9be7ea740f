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
}
