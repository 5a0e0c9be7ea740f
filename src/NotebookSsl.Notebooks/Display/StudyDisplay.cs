using NotebookSsl.Analysis;
using NotebookSsl.Probes;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Findings;
using NotebookSsl.Training;
using Microsoft.FSharp.Core;
using Plotly.NET.CSharp;
using DF = Microsoft.Data.Analysis;
using GChart = Plotly.NET.GenericChart;

namespace NotebookSsl.Notebooks.Display;

/// <summary>
/// A loss chart drawn while training runs, one line per curve (an arm at a seed): <c>var curves = new LiveCurves();</c>
/// then pass <c>curves.For("MAE", seed)</c> as a pretraining's <c>onStep</c>. A stored run is loaded, not trained, and
/// draws nothing. The chart is shown when the first step arrives and redrawn every <paramref name="every"/> steps.
/// Runs training side by side (<see cref="Runs.ParallelRuns"/>) draw on the same chart, one line each: the callbacks may
/// come from several threads.
/// </summary>
public sealed class LiveCurves(string yTitle = "training loss", int every = 10)
{
    readonly Dictionary<string, List<double>> curves = new();
    readonly object gate = new();
    DisplayHandle? handle;

    /// <summary>The step callback of one curve.</summary>
    public Action<StepRecord> For(string arm, int seed) => step =>
    {
        var name = $"{arm} (seed {seed})";
        lock (gate)
        {
            if (!curves.TryGetValue(name, out var list)) curves[name] = list = new List<double>();
            list.Add(step.Loss);
            if (handle is null) handle = DisplayFunctions.display(Chart());
            else if (list.Count % every == 0) handle.Update(Chart());
        }
    };

    /// <summary>Draws the last steps (call after the loop).</summary>
    public void Done() { lock (gate) handle?.Update(Chart()); }

    /// <summary>The curves so far.</summary>
    public GChart Chart()
    {
        lock (gate)
            return Plotly.NET.CSharp.Chart.Combine(curves.Select(kv => (GChart)Plotly.NET.CSharp.Chart.Line<int, double, string>(
                    x: Enumerable.Range(1, kv.Value.Count).ToArray(), y: kv.Value.ToArray(), Name: kv.Key)))
                .WithXAxisStyle<int, int, string>(TitleText: "step").WithYAxisStyle<double, double, string>(TitleText: yTitle).WithSize(800, 380);
    }
}

/// <summary>The tables and charts every comparison shows, once: mean ± std per arm and probe, and the claims.</summary>
public static class StudyDisplay
{
    static readonly Probe[] Probes = [Probe.Linear, Probe.Knn, Probe.FineTune, Probe.Attentive];

    /// <summary>A table of each arm's mean ± std (percent) per probe that was run, with the final loss and the number of seeds.</summary>
    public static DF.DataFrame Table(IEnumerable<ArmRun> runs)
    {
        var rows = ArmRow.Summarise(runs);
        var probes = Probes.Where(p => rows.Any(r => !double.IsNaN(r[p].Mean))).ToArray();
        var columns = new List<DF.DataFrameColumn> { new DF.StringDataFrameColumn("arm", rows.Select(r => r.Arm)) };
        columns.AddRange(probes.Select(p => new DF.StringDataFrameColumn($"{Name(p)} (%)", rows.Select(r => Percent(r[p])))));
        columns.Add(new DF.StringDataFrameColumn("final loss", rows.Select(r => double.IsNaN(r.FinalLoss.Mean) ? "–" : r.FinalLoss.Format("F3"))));
        columns.Add(new DF.StringDataFrameColumn("seeds", rows.Select(r => r.Linear.Count.ToString())));
        return new DF.DataFrame(columns);
    }

    /// <summary>Each arm's mean per probe as grouped columns, the std over seeds as error bars.</summary>
    public static GChart ProbeChart(IEnumerable<ArmRun> runs, params Probe[] probes)
    {
        var rows = ArmRow.Summarise(runs);
        if (probes.Length == 0) probes = Probes.Where(p => rows.Any(r => !double.IsNaN(r[p].Mean))).ToArray();
        var names = probes.Select(Name).ToArray();
        GChart Bars(ArmRow r)
        {
            var bars = (GChart)Plotly.NET.CSharp.Chart.Column<double, string, string>(values: probes.Select(p => Zero(100 * r[p].Mean)).ToArray(), Keys: names, Name: r.Arm);
            IEnumerable<double> std = probes.Select(p => Zero(100 * r[p].Std)).ToArray();
            return Plotly.NET.Chart.withYErrorStyle<double, double>(null, null, null, FSharpOption<IEnumerable<double>>.Some(std),
                null, null, null, null, null, null, null, null, null).Invoke(bars);
        }
        return Plotly.NET.CSharp.Chart.Combine(rows.Select(Bars))
            .WithYAxisStyle<double, double, string>(TitleText: "held-out accuracy (%)").WithSize(800, 400);
    }

    /// <summary>
    /// Each claim as one line: the sides' mean ± std (or the trend's points), the expectation and the paper's numbers.
    /// Percentages get one decimal, small measures (an MSE, a CKA) three.
    /// </summary>
    public static string Claims(IEnumerable<Claim> claims) => string.Join("\n", claims.Select(c =>
    {
        var values = c.Series?.SelectMany(p => p.Values) ?? c.A!.Values.Concat(c.B!.Values);
        string format = values.Any(v => Math.Abs(v) >= 10) ? "F1" : "F3";
        return c.Series is null
            ? $"{c.Experiment} — {c.Text}: {c.A!.Name} {MeanStd.Of(c.A.Values).Format(format)} vs {c.B!.Name} {MeanStd.Of(c.B.Values).Format(format)} (expect {c.Expect}; paper: {c.Paper})"
            : $"{c.Experiment} — {c.Text}: " + string.Join(" → ", c.Series.Select(p => $"{p.X:G3}: {MeanStd.Of(p.Values).Format(format)}")) + $" (expect {c.Expect}; paper: {c.Paper})";
    }));

    /// <summary>
    /// The claims as a table: claim (with its metric and expectation) | paper | ours (mean ± std per side, or the trend's
    /// points) | verdict (with the numbers it was decided on). The verdict is <see cref="ClaimVerdict"/>'s, the rule the
    /// findings page applies to the same claims once they are written to the results JSON. A claim that cannot be judged
    /// (a side without values, a value that is not finite) shows why in its verdict cell instead of failing the cell.
    /// </summary>
    public static DF.DataFrame ClaimTable(IEnumerable<Claim> claims)
    {
        var list = claims.ToList();
        return new DF.DataFrame(
            new DF.StringDataFrameColumn("claim", list.Select(c => string.IsNullOrEmpty(c.Metric) ? $"{c.Text} ({c.Expect})" : $"{c.Text} ({c.Metric}; {c.Expect})")),
            new DF.StringDataFrameColumn("paper", list.Select(c => c.Paper)),
            new DF.StringDataFrameColumn("ours", list.Select(Ours)),
            new DF.StringDataFrameColumn("verdict", list.Select(VerdictOf)));
    }

    // one side or one x: "name: mean ± std (n = k)", the findings page's format
    static string Group(string name, IReadOnlyList<double> values) =>
        values.Count == 0 ? $"{name}: no values" : $"{name}: {FindingsPage.MeanStd(values)}";

    static string Ours(Claim c) => c.Series is null
        ? $"{Group(c.A!.Name, c.A.Values)}; {Group(c.B!.Name, c.B.Values)}"
        : string.Join(" → ", c.Series.Select(p => Group($"{p.X:G3}", p.Values)));

    internal static string VerdictOf(Claim c)
    {
        ClaimJudgement j;
        try { j = c.Judge().Judgement; }   // the gates, then the rule: as the findings page judges it
        catch (ArgumentException e) { return $"not judged ({e.Message})"; }
        return j.Verdict switch
        {
            Verdict.Holds => $"holds ({j.Evidence})",
            Verdict.DoesNotHold => $"does not hold ({j.Evidence})",
            _ => $"inconclusive ({j.Evidence})",
        };
    }

    /// <summary>What a table calls a probe.</summary>
    public static string Name(Probe probe) => probe switch
    {
        Probe.Linear => "linear",
        Probe.Knn => "k-NN",
        Probe.FineTune => "fine-tune",
        Probe.Attentive => "attentive",
        _ => probe.ToString(),
    };

    static string Percent(MeanStd m) => double.IsNaN(m.Mean) ? "–" : m.Format("F1", 100);
    static double Zero(double v) => double.IsNaN(v) ? 0 : v;
}
