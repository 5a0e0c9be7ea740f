using NotebookSsl.Analysis;
using NotebookSsl.Studies.Findings;
using NotebookSsl.Studies;

namespace NotebookSsl.Tests.Studies;

public class FindingsPageTests
{
    // an EXPERIMENTS.md in miniature: two numbered sections, a code span in a first column, an unnumbered section
    const string Experiments = """
        # The experiments

        ## 01 · The decoder is local (`paper.md`, §2)
        | experiment | paper's setting | paper's finding |
        |---|---|---|
        | Decoder replacement (Table 1) | 3 decoders | local decoders match the Transformer |
        | Pretrained vs random (Table 9) | MAE vs random init | MAE far above random |
        | Distance vs `mask_ratio` (Fig. 3b) | 0.3 … 0.9 | distance grows with the ratio |
        | Linear probe vs pixels | frozen cls | the probe beats raw pixels |

        ## 02 · Something else (`other.md`)
        | experiment | paper's setting | paper's finding |
        |---|---|---|
        | Uni-SSL vs DINO (Table 2) | two views | FT 82.7 vs 81.8 |

        ## Baselines shared by all notebooks
        | not | an | experiment |
        |---|---|---|
        | ignored | row | here |
        """;

    // one notebook's quick results: all three verdicts, a trend, and a claim naming no experiment
    const string Results01 = """
        { "notebook": "01-decoder-locality", "size": "quick", "seeds": [0, 1, 2],
          "claims": [
            { "section": "01", "experiment": "Pretrained vs random (Table 9)", "claim": "MAE fine-tunes better than random init",
              "paper": "83.6 vs 79.0", "metric": "fine-tune accuracy (%)", "expect": "a>b",
              "a": { "name": "MAE", "values": [80, 81, 82] }, "b": { "name": "random init", "values": [70, 71, 72] }, "series": null,
              "gates": { "probe": "fine-tune", "randomInitLinear": [65, 66, 67], "randomInitFineTune": [70, 71, 72], "chance": 10 } },
            { "section": "01", "experiment": "Linear probe vs pixels", "claim": "the linear probe beats raw pixels",
              "paper": "68.0 vs 30", "metric": "linear accuracy (%)", "expect": "a>b",
              "a": { "name": "MAE", "values": [60, 61, 62] }, "b": { "name": "raw pixels", "values": [81, 81.5, 82] } },
            { "section": "01", "experiment": "Decoder replacement (Table 1)", "claim": "a conv decoder does as well as the Transformer",
              "paper": "82.9 vs 82.9", "metric": "fine-tune accuracy (%)", "expect": "a~b", "tolerance": 0.5,
              "a": { "name": "conv", "values": [79, 80, 81] }, "b": { "name": "Transformer", "values": [80.5, 81.5, 82.5] },
              "gates": { "probe": "fine-tune", "randomInitLinear": [65, 66, 67], "randomInitFineTune": [70, 71, 72], "chance": 10 } },
            { "section": "01", "experiment": "Distance vs `mask_ratio` (Fig. 3b)", "claim": "attention distance grows with the mask ratio",
              "paper": "Fig. 3b", "metric": "attention distance (px)", "expect": "increasing",
              "series": [ { "x": 0.3, "values": [10.0, 10.2] }, { "x": 0.6, "values": [11.0, 11.1] }, { "x": 0.9, "values": [12.5, 12.6] } ] },
            { "section": "01", "experiment": "A row that is not there", "claim": "typo'd", "expect": "a>b",
              "a": { "name": "x", "values": [1, 2] }, "b": { "name": "y", "values": [1, 2] } }
          ],
          "tables": { "free": "form" } }
        """;

    static FindingsModel Model() => FindingsPage.Build(Experiments,
        [("01-decoder-locality-quick.json", Results01), ("02-uni-ssl-quick.json", """{ "notebook": "02-uni-ssl", "size": "quick" }""")],
        key => key switch { "01-decoder-locality" or "01" => "../01-decoder-locality.ipynb", _ => null });

    [Fact]
    public void Experiments_are_the_table_rows_of_numbered_sections_with_their_exact_first_column()
    {
        var rows = FindingsPage.ParseExperiments(Experiments);
        Assert.Equal(5, rows.Count);
        Assert.Equal(["01", "01", "01", "01", "02"], rows.Select(r => r.Section));
        Assert.Equal("Distance vs `mask_ratio` (Fig. 3b)", rows[2].Experiment);
        Assert.Equal("distance grows with the ratio", rows[2].PaperFinding);
        Assert.Equal("The decoder is local (`paper.md`, §2)", rows[0].SectionTitle);
        Assert.Equal("Uni-SSL vs DINO (Table 2)", rows[4].Experiment);
    }

    [Fact]
    public void Each_claim_gets_its_verdict_and_rows_without_one_are_not_run()
    {
        var model = Model();
        Verdict Of(string experiment) => Assert.Single(model.Rows.Single(r => r.Experiment.Experiment == experiment).Claims).Judgement.Verdict;
        Assert.Equal(Verdict.Holds, Of("Pretrained vs random (Table 9)"));          // d = 10, 2s = 2
        Assert.Equal(Verdict.DoesNotHold, Of("Linear probe vs pixels"));             // d < 0
        Assert.Equal(Verdict.Inconclusive, Of("Decoder replacement (Table 1)"));     // d = −1.5: past −t, not past −t − 2s = −2.5
        Assert.Equal(Verdict.Holds, Of("Distance vs `mask_ratio` (Fig. 3b)"));       // ρ = 1, one seed per x
        Assert.Empty(model.Rows.Single(r => r.Experiment.Section == "02").Claims);   // its results carry no claims
        Assert.Equal("A row that is not there", Assert.Single(model.Unmatched).Experiment);
        Assert.Equal("../01-decoder-locality.ipynb", model.Rows[0].NotebookLink);
        Assert.Null(model.Rows[4].NotebookLink);
    }

    [Fact]
    public void The_page_shows_paper_ours_verdict_rule_and_links()
    {
        var page = FindingsPage.Render(Model());
        Assert.Contains("**4 claims tested: 2 hold, 1 do not hold, 1 inconclusive; 1 of 5 experiments not run.**", page);
        Assert.Contains("| Pretrained vs random (Table 9) | MAE far above random | MAE fine-tunes better than random init (fine-tune accuracy (%); a > b) | 83.6 vs 79.0 | "
            + "a = MAE: 81.0 ± 1.0 (n = 3)<br>b = random init: 71.0 ± 1.0 (n = 3) | **holds** (d = 10, 2s = 2) | [01-decoder-locality](../01-decoder-locality.ipynb) |", page);
        Assert.Contains("| Uni-SSL vs DINO (Table 2) | FT 82.7 vs 81.8 | | | | not run | no notebook yet |", page);
        Assert.Contains("inconclusive (d = -1.5, 2s = 2, t = 0.5)", page);
        Assert.Contains("**does not hold** (d = -20.5, 2s = 1.581)", page);
        Assert.Contains("x = 0.3: 10.10 ± 0.14 (n = 2); x = 0.6: 11.050 ± 0.071 (n = 2); x = 0.9: 12.550 ± 0.071 (n = 2)", page);
        Assert.Contains("## Claims that name no experiment of EXPERIMENTS.md", page);
        Assert.Contains("## How a verdict is decided", page);
        Assert.Contains("**holds** if d > 2s", page);
        Assert.Contains("- [02-uni-ssl-quick.json](02-uni-ssl-quick.json)", page);
        Assert.DoesNotContain("\r", page);
        Assert.Equal(page, FindingsPage.Render(Model()));   // deterministic
    }

    [Fact]
    public void A_claim_links_the_notebook_that_wrote_it_when_a_section_is_split_over_notebooks()
    {
        // 01b writes a claim on an experiment 01 also tests (as 03c does beside 03b): each line links its own notebook
        const string results01b = """
            { "notebook": "01b-decoder-ablations", "size": "quick", "claims": [
                { "section": "01", "experiment": "Pretrained vs random (Table 9)", "claim": "the conv-decoder MAE beats random init",
                  "paper": "–", "metric": "fine-tune accuracy (%)", "expect": "a>b",
                  "a": { "name": "conv", "values": [80, 81] }, "b": { "name": "random init", "values": [70, 71] } } ] }
            """;
        var model = FindingsPage.Build(Experiments, [("01-decoder-locality-quick.json", Results01), ("01b-decoder-ablations-quick.json", results01b)],
            key => key switch { "01-decoder-locality" or "01" => "../01-decoder-locality.ipynb", "01b-decoder-ablations" => "../01b-decoder-ablations.ipynb", _ => null });
        var row = model.Rows.Single(r => r.Experiment.Experiment == "Pretrained vs random (Table 9)");
        Assert.Equal(["../01-decoder-locality.ipynb", "../01b-decoder-ablations.ipynb"], row.ClaimLinks);
        var lines = FindingsPage.Render(model).Split('\n').Where(l => l.StartsWith("| Pretrained vs random (Table 9)")).ToList();
        Assert.Equal(2, lines.Count);
        Assert.EndsWith("| [01-decoder-locality](../01-decoder-locality.ipynb) |", lines[0]);
        Assert.EndsWith("| [01b-decoder-ablations](../01b-decoder-ablations.ipynb) |", lines[1]);
    }

    [Fact]
    public void Claims_a_notebook_writes_with_the_run_json_options_are_what_the_page_reads()
    {
        var claims = new[]
        {
            Claim.Pair("01", "Decoder replacement (Table 1)", "conv does as well", "82.9 vs 82.9", "fine-tune accuracy (%)", "a~b",
                new ClaimSide("conv", [79, 80, 81]), new ClaimSide("Transformer", [80.5, 81.5, 82.5]), tolerance: 0.5),
            Claim.Trend("01", "Distance vs `mask_ratio` (Fig. 3b)", "grows", "Fig. 3b", "px", "increasing",
                [new ClaimPoint(0.3, [10, 10.2]), new ClaimPoint(0.6, [11, 11.1]), new ClaimPoint(0.9, [12.5, 12.6])]),
        };
        var json = System.Text.Json.JsonSerializer.Serialize(new { notebook = "01-x", size = "quick", claims }, NotebookSsl.Runs.RunJson.Indented);
        var parsed = FindingsPage.ParseClaims(json, "01-x-quick.json");
        Assert.Equal(2, parsed.Count);
        Assert.Equal("01-x", parsed[0].Notebook);
        Assert.Equal(0.5, parsed[0].Tolerance);
        Assert.Equal(Verdict.Inconclusive, parsed[0].Judgement.Verdict);
        Assert.Equal(["conv", "Transformer"], parsed[0].Groups.Select(g => g.Name));
        Assert.Equal(Verdict.Holds, parsed[1].Judgement.Verdict);
        Assert.Equal("x = 0.9", parsed[1].Groups[2].Name);
        Assert.Throws<ArgumentException>(() => Claim.Trend("01", "e", "c", "", "", "a>b", []));
        Assert.Throws<ArgumentException>(() => Claim.Pair("01", "e", "c", "", "", "increasing", new ClaimSide("a", [1]), new ClaimSide("b", [1])));
    }

    [Fact]
    public void A_gated_claim_is_inconclusive_names_its_gate_and_is_counted_on_the_page()
    {
        // MAE beats random init clearly, but random init's fine-tune (60) is below its linear probe (75): not converged
        ArmRun Random(int seed, double linear, double fineTune) =>
            new("random init", seed, new NotebookSsl.Probes.ProbeScores(linear / 100, double.NaN, fineTune / 100, double.NaN));
        var runs = new[] { Random(0, 75, 60), Random(1, 75, 62), Random(2, 76, 61) };
        var claim = Claim.Pair("01", "Pretrained vs random (Table 9)", "MAE fine-tunes better than random init", "83.6 vs 79.0",
                "fine-tune accuracy (%)", "a>b", new ClaimSide("MAE", [80, 81, 82]), new ClaimSide("random init", [60, 62, 61]))
            .GatedBy(runs, NotebookSsl.Probes.Probe.FineTune);
        Assert.Equal("fine-tune", claim.Gates!.Probe);
        Assert.Equal(10, claim.Gates.Chance);
        Assert.Equal([60, 62, 61], claim.Gates.RandomInitFineTune!.Select(v => Math.Round(v, 6)));
        var json = System.Text.Json.JsonSerializer.Serialize(new { notebook = "01-x", size = "quick", claims = new[] { claim } }, NotebookSsl.Runs.RunJson.Indented);
        var parsed = FindingsPage.ParseClaims(json, "01-x-quick.json").Single();
        Assert.Equal(Verdict.Inconclusive, parsed.Judgement.Verdict);
        Assert.Equal(Gate.NotConverged, parsed.Gate);
        Assert.Contains("not converged", parsed.Judgement.Evidence);
        Assert.Contains("the rule alone: holds", parsed.Judgement.Evidence);

        // the same claim from a converged run holds, and the page counts each gate
        var converged = claim with { Gates = ClaimGates.Of([Random(0, 75, 78), Random(1, 75, 79), Random(2, 76, 80)], NotebookSsl.Probes.Probe.FineTune) };
        var both = System.Text.Json.JsonSerializer.Serialize(new { notebook = "01-x", size = "quick", claims = new[] { claim, converged } }, NotebookSsl.Runs.RunJson.Indented);
        Assert.Equal(Verdict.Holds, FindingsPage.ParseClaims(both, "01-x-quick.json")[1].Judgement.Verdict);
        var page = FindingsPage.Render(FindingsPage.Build(Experiments, [("01-x-quick.json", both)], _ => null));
        Assert.Contains("Claims stopped by a gate (inconclusive whatever their numbers; see the rule below): not converged 1, no convergence record 0, reference collapsed 0, at chance 0, too few seeds 0.", page);
        Assert.Contains("*not converged*", page);
    }

    [Fact]
    public void A_fine_tuning_claim_without_a_convergence_record_is_stopped_and_a_linear_one_is_judged()
    {
        // results written before the gates: no "gates" object, so nothing shows the fine-tune converged
        const string old = """
            { "notebook": "01-x", "size": "quick", "claims": [
                { "section": "01", "experiment": "Pretrained vs random (Table 9)", "claim": "MAE fine-tunes better", "metric": "fine-tune accuracy (%)",
                  "expect": "a>b", "a": { "name": "MAE", "values": [80, 81, 82] }, "b": { "name": "random init", "values": [70, 71, 72] } },
                { "section": "01", "experiment": "Linear probe vs pixels", "claim": "the probe beats pixels", "metric": "linear-probe accuracy (%)",
                  "expect": "a>b", "a": { "name": "MAE", "values": [80, 81, 82] }, "b": { "name": "raw pixels", "values": [70, 71, 72] } } ] }
            """;
        var parsed = FindingsPage.ParseClaims(old, "01-x-quick.json");
        Assert.Equal((Verdict.Inconclusive, Gate.NoConvergenceRecord), (parsed[0].Judgement.Verdict, parsed[0].Gate));
        Assert.Contains("no convergence record", parsed[0].Judgement.Evidence);
        Assert.Contains("the rule alone: holds", parsed[0].Judgement.Evidence);
        Assert.Equal((Verdict.Holds, (Gate?)null), (parsed[1].Judgement.Verdict, parsed[1].Gate));
        // a claim judges itself the same way
        var claim = Claim.Pair("01", "Pretrained vs random (Table 9)", "MAE fine-tunes better", "", "fine-tune accuracy (%)", "a>b",
            new ClaimSide("MAE", [80, 81, 82]), new ClaimSide("random init", [70, 71, 72]));
        Assert.Equal(Gate.NoConvergenceRecord, claim.Judge().Gate);
        var page = FindingsPage.Render(FindingsPage.Build(Experiments, [("01-x-quick.json", old)], _ => null));
        Assert.Contains("no convergence record 1", page);
        Assert.Contains("*no convergence record*", page);
    }

    [Fact]
    public void Gates_go_to_the_accuracy_claims_of_a_comparison_and_a_claim_judges_itself_as_the_page_does()
    {
        Assert.Equal(NotebookSsl.Probes.Probe.FineTune, ClaimGates.ProbeOf("fine-tune accuracy (%)"));
        Assert.Equal(NotebookSsl.Probes.Probe.Linear, ClaimGates.ProbeOf("linear-probe accuracy (%)"));
        Assert.Equal(NotebookSsl.Probes.Probe.Knn, ClaimGates.ProbeOf("k-NN accuracy (%)"));
        Assert.Equal(NotebookSsl.Probes.Probe.Attentive, ClaimGates.ProbeOf("attentive-probe accuracy (%)"));
        Assert.Null(ClaimGates.ProbeOf("PSNR on removed patches (dB)"));
        Assert.Null(ClaimGates.ProbeOf("mean attention distance (px)"));

        ArmRun Random(int seed) => new("random init", seed, new NotebookSsl.Probes.ProbeScores(0.75, 0.6, 0.70, double.NaN));
        var runs = new[] { Random(0), Random(1) };
        var ft = Claim.Pair("01", "Pretrained vs random (Table 9)", "MAE fine-tunes better", "", "fine-tune accuracy (%)", "a>b",
            new ClaimSide("MAE", [80, 81]), new ClaimSide("random init", [70, 70]));
        var psnr = Claim.Pair("01", "Pretrained vs random (Table 9)", "sharper", "", "PSNR (dB)", "a>b", new ClaimSide("a", [20, 21]), new ClaimSide("b", [10, 11]));
        var gated = ClaimGates.Apply([ft, psnr], runs);
        Assert.Equal("fine-tune", gated[0].Gates!.Probe);
        Assert.Null(gated[1].Gates);
        // random init fine-tunes to 70 below its linear 75: the fine-tune claim is gated, the PSNR claim is not
        var (judgement, gate) = gated[0].Judge();
        Assert.Equal((Verdict.Inconclusive, Gate.NotConverged), (judgement.Verdict, gate));
        Assert.Equal((Verdict.Holds, (Gate?)null), (gated[1].Judge().Judgement.Verdict, gated[1].Judge().Gate));
        // the page reads the same claims to the same verdicts
        var json = System.Text.Json.JsonSerializer.Serialize(new { notebook = "01-x", size = "quick", claims = gated }, NotebookSsl.Runs.RunJson.Indented);
        Assert.Equal(gated.Select(c => c.Judge().Judgement), FindingsPage.ParseClaims(json, "01-x-quick.json").Select(c => c.Judgement));
    }

    [Fact]
    public void A_claim_with_a_missing_part_is_refused_by_name()
    {
        var e = Assert.Throws<InvalidDataException>(() => FindingsPage.ParseClaims(
            """{ "claims": [ { "section": "01", "experiment": "x", "claim": "c", "expect": "a>b", "a": { "name": "A", "values": [1, 2] } } ] }""", "f.json"));
        Assert.Contains("\"b\"", e.Message);
        Assert.Contains("f.json, claim 0", e.Message);
        e = Assert.Throws<InvalidDataException>(() => FindingsPage.ParseClaims(
            """{ "claims": [ { "section": "01", "experiment": "x", "claim": "c", "expect": "increasing" } ] }""", "f.json"));
        Assert.Contains("series", e.Message);
    }

    [Theory]
    [InlineData("""{ "claims": [ { "section": "01", """, "f.json is not valid JSON")]
    [InlineData("""{ "claims": "oops" }""", "f.json: \"claims\" is a JSON String, not an array")]
    [InlineData("""[1, 2]""", "f.json: holds a JSON Array")]
    [InlineData("""{ "claims": [ 3 ] }""", "f.json, claim 0: is a JSON Number")]
    [InlineData("""{ "claims": [ { "section": 1, "experiment": "x", "claim": "c", "expect": "a>b", "a": { "values": [1] }, "b": { "values": [0] } } ] }""", "f.json, claim 0: \"section\"")]
    [InlineData("""{ "claims": [ { "section": "01", "experiment": "x", "claim": "c", "expect": "up" } ] }""", "f.json")]
    [InlineData("""{ "claims": [ { "section": "01", "experiment": "x", "claim": "c", "expect": "increasing", "series": [ { "values": [1] } ] } ] }""", "has no number \"x\"")]
    public void A_results_file_that_cannot_be_read_is_refused_by_name(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => FindingsPage.ParseClaims(json, "f.json"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("f.json", e.Message);
    }

    [Fact]
    public void Mean_and_std_keep_two_significant_digits_of_the_spread()
    {
        Assert.Equal("0.566 ± 0.013 (n = 3)", FindingsPage.MeanStd([0.555, 0.563, 0.581]));
        Assert.Equal("56.6 ± 1.3 (n = 3)", FindingsPage.MeanStd([55.5, 56.3, 58.1]));
        Assert.Equal("3 (n = 1)", FindingsPage.MeanStd([3]));
    }

    /// <summary>Skipped where ../shared/EXPERIMENTS.md is not beside the repository (a bare clone).</summary>
    public sealed class RepositoryPageFactAttribute : FactAttribute
    {
        public RepositoryPageFactAttribute()
        {
            var root = Root();
            if (root is null) Skip = "not run from inside the repository";
            else if (!File.Exists(FindingsPage.DefaultExperimentsPath(root))) Skip = $"no shared/EXPERIMENTS.md above {root}";
        }
    }

    internal static string? Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NotebookSsl.sln"))) return dir.FullName;
        return null;
    }

    [RepositoryPageFact]
    public void The_committed_findings_page_is_what_the_generator_makes_of_the_committed_results()
    {
        var root = Root()!;
        var committed = FindingsPage.DefaultPagePath(root);
        Assert.True(File.Exists(committed), $"{committed} is missing: run `dotnet run --project src/nbssl -- findings`");
        Assert.True(FindingsPage.Generate(root) == File.ReadAllText(committed),
            "notebooks/results/FINDINGS.md is out of date: run `dotnet run --project src/nbssl -- findings` and commit it");
    }
}
