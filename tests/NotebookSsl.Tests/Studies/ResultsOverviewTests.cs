using NotebookSsl.Analysis;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Tests.Studies;

public class ResultsOverviewTests
{
    // a results file as the notebooks write it on the shared protocol: ArmRuns through RunJson (NaN as "NaN"), in two tables
    static string SharedProtocolFile()
    {
        ArmRun Run(string arm, int seed, double linear, double fineTune) => new(arm, seed, new ProbeScores(linear, 0.5, fineTune, double.NaN));
        var results = new
        {
            notebook = "05-cae", size = StudySize.For("smoke"), environment = new { timestamp = "2026-12-01T10:00:00Z" },
            claims = new[] { Claim.Pair("05", "CAE", "CAE fine-tunes better than MAE", "83.6 vs 82.9", "fine-tune accuracy (%)", "a>b",
                new ClaimSide("CAE", [80, 81, 82]), new ClaimSide("MAE", [70, 71, 72])).GatedBy([Run("random init", 0, 0.55, 0.75)], Probe.FineTune) },
            runs = new
            {
                main = new[] { Run("CAE", 1, 0.62, 0.80), Run("CAE", 0, 0.60, 0.78), Run("MAE", 0, 0.70, 0.85), Run("random init", 0, 0.55, 0.75) },
                // the same run scored by the frozen probes only: no fine-tune (NaN), fewer seeds
                references = new[] { Run("MoCo v3", 0, 0.66, double.NaN), Run("CAE", 0, 0.60, double.NaN) },
            },
            attentionDistance = new[] { new { arm = "MAE", seed = 1, perLayer = new[] { 3.0, 4.0 } }, new { arm = "MAE", seed = 0, perLayer = new[] { 1.0, 2.0 } } },
        };
        return System.Text.Json.JsonSerializer.Serialize(results, RunJson.Indented);
    }

    // an older file: summary rows with "Method" and a mean ± std, arrays of percent per seed, distances by arm
    const string OlderFile = """
        { "notebook": "02-uni-ssl", "size": "quick",
          "tables": {
            "table2": [ { "method": "Uni-SSL", "fineTune": [33.6, 45.5, 22.8], "linear": [62.3, 63.5, 61.3] } ],
            "main": [ { "Method": "DINO", "Linear": { "Mean": 0.65, "Std": 0.01, "Count": 3 }, "FineTune": { "Mean": "NaN", "Std": "NaN", "Count": 3 } } ],
            "fig5": { "attentionDistance": { "uniSsl": [14.3, 14.4], "dino": [[14.0, 14.5], [14.2, 14.7]] } } } }
        """;

    [Fact]
    public void Arm_runs_are_found_in_any_table_per_seed_and_a_probe_that_was_not_run_is_absent()
    {
        var source = ResultsOverview.Parse(SharedProtocolFile(), "/r/05-cae-quick.json", 123, new DateTime(2026, 12, 1));
        Assert.Null(source.Error);
        Assert.True(source.SharedProtocol);
        Assert.Equal("2026-12-01T10:00:00Z", source.Written);
        Assert.Equal("05-cae-quick.json", source.File);

        var cae = ResultsOverview.Find([source], "CAE", Probe.Linear);
        Assert.Equal("runs.main", cae.Score!.Table);              // the table with both seeds, not the one-seed references
        Assert.Equal([0.60, 0.62], cae.Score.Values);              // ordered by seed
        Assert.Equal(0.61, cae.Score.Score.Mean, 6);
        Assert.True(ResultsOverview.Find([source], "MoCo v3", Probe.FineTune).Missing);   // written as NaN
        Assert.Equal(0.66, ResultsOverview.Find([source], "mocoV3", Probe.Linear).Score!.Score.Mean, 6);
        Assert.True(ResultsOverview.Find([source], "supervised", Probe.Linear).Missing);

        var (distances, from) = ResultsOverview.FindDistances([source], "MAE");
        Assert.Same(source, from);
        Assert.Equal([1.0, 2.0], distances!.PerSeed[0]);

        var claim = Assert.Single(source.Claims);
        Assert.Equal(Verdict.Holds, claim.Judgement.Verdict);
    }

    [Fact]
    public void Older_files_give_summary_rows_and_percent_is_read_as_a_fraction()
    {
        var source = ResultsOverview.Parse(OlderFile, "/r/02-uni-ssl-quick.json", 1, default);
        Assert.Null(source.Error);
        Assert.False(source.SharedProtocol);
        var uni = ResultsOverview.Find([source], "Uni-SSL", Probe.FineTune).Score!;
        Assert.Equal([0.336, 0.455, 0.228], uni.Values.Select(v => Math.Round(v, 6)));
        var dino = ResultsOverview.Find([source], "DINO", Probe.Linear).Score!;
        Assert.Empty(dino.Values);
        Assert.Equal(new MeanStd(0.65, 0.01, 3), dino.Score);
        Assert.True(ResultsOverview.Find([source], "DINO", Probe.FineTune).Missing);
        Assert.Equal(2, ResultsOverview.FindDistances([source], "DINO").Distances!.PerSeed.Count);
        Assert.Single(ResultsOverview.FindDistances([source], "Uni-SSL").Distances!.PerSeed);
    }

    [Fact]
    public void The_first_source_that_has_a_method_wins_and_a_broken_file_is_kept_with_its_error()
    {
        var broken = ResultsOverview.Parse("{ \"notebook\": ", "/r/03a-occlusion-rmae-quick.json", 14, default);
        Assert.Contains("03a-occlusion-rmae-quick.json", broken.Error);
        Assert.Empty(broken.Scores);
        var badClaim = ResultsOverview.Parse("""{ "claims": [ { "section": "01" } ] }""", "/r/01-x-quick.json", 1, default);
        Assert.Contains("01-x-quick.json", badClaim.Error);

        var older = ResultsOverview.Parse(OlderFile, "/r/02-uni-ssl-quick.json", 1, default);
        var shared = ResultsOverview.Parse(SharedProtocolFile(), "/r/05-cae-quick.json", 1, default);
        Assert.Same(older, ResultsOverview.Find([broken, older, shared], "DINO", Probe.Linear).Source);
        Assert.Same(shared, ResultsOverview.Find([broken, shared], "random init", Probe.FineTune).Source);
    }

    [Fact]
    public void Read_lists_a_size_s_files_by_name_and_an_absent_folder_is_empty()
    {
        var dir = Directory.CreateTempSubdirectory("nbssl-overview-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "05-cae-quick.json"), SharedProtocolFile());
            File.WriteAllText(Path.Combine(dir, "02-uni-ssl-quick.json"), OlderFile);
            File.WriteAllText(Path.Combine(dir, "02-uni-ssl-full.json"), OlderFile);
            var sources = ResultsOverview.Read(dir);
            Assert.Equal(["02-uni-ssl-quick.json", "05-cae-quick.json"], sources.Select(s => s.File));
            Assert.Equal(new FileInfo(Path.Combine(dir, "05-cae-quick.json")).Length, sources[1].Bytes);
            Assert.Single(ResultsOverview.Read(dir, "full"));
            Assert.Empty(ResultsOverview.Read(Path.Combine(dir, "absent")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
