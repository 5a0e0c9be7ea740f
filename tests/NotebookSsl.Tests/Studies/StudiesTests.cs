using System.Text.Json;
using NotebookSsl.Data;
using NotebookSsl.Runs;
using NotebookSsl.Analysis;
using NotebookSsl.Models;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Findings;
using NotebookSsl.Studies.Cae;
using NotebookSsl.Studies.MultiViewMae;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public class StudiesTests
{
    [Fact]
    public void Sizes_are_valid_and_both_notebooks_share_the_mae_baseline()
    {
        foreach (var size in new[] { RunSize.Smoke, RunSize.Quick, RunSize.Full })
        {
            var cae = CaeStudyRecipe.For(size);
            var mv = MultiViewStudyRecipe.For(size);
            cae.Cae.Validate();
            mv.MvMae.Validate();
            Assert.Equal(cae.Probe.Encoder, cae.Cae.Encoder);
            Assert.All(cae.MaskRatios, r => (cae.Cae with { MaskRatio = r }).Validate());
            Assert.Contains(cae.Cae.MaskRatio, cae.MaskRatios);                     // the main run is one of Table 5's points
            // same MAE, same budget, same views: notebook 06 loads notebook 05's MAE runs from the store
            Assert.Equal(cae.Probe.MaeBaseline(), mv.Probe.MaeBaseline());
            Assert.Equal(cae.Probe.Pretrain, mv.Probe.Pretrain);
            Assert.Equal(cae.Probe.CropScaleMin, mv.Probe.CropScaleMin);
            Assert.Equal(mv.Probe.MaeBaseline() with { DecoderDepth = mv.MvMae.Mae.DecoderDepth }, mv.MvMae.Mae);
            Assert.Contains(mv.MvMae.Mae.MaskRatio, mv.MaskRatios);
            Assert.Contains(mv.MvMae.ContrastiveWeight, mv.Lambdas);
            Assert.Contains(mv.MvMae.Mae.DecoderDepth, mv.DecoderDepths);
        }
        Assert.True(CaeStudyRecipe.For(RunSize.Quick).Probe.Seeds.Count >= 3);
        Assert.True(CaeStudyRecipe.For(RunSize.Quick).AblationSeeds.Count >= 2);
        Assert.True(MultiViewStudyRecipe.For(RunSize.Quick).AblationSeeds.Count >= 2);
    }

    [Fact]
    public void Claims_serialise_with_the_schemas_names()
    {
        var claim = Claim.Pair("05", "CAE", "CAE beats MAE", "83.6 vs 82.9", "accuracy (%)", "a>b",
            new ClaimSide("CAE", [1.0, 2.0]), new ClaimSide("MAE", [0.5, 1.5]));
        var json = JsonSerializer.Serialize(claim, RunJson.Options);
        foreach (var name in new[] { "section", "experiment", "claim", "paper", "metric", "expect", "a", "b", "series", "name", "values" })
            Assert.Contains($"\"{name}\":", json);
        var series = Claim.Trend("06", "Ablations (Table 5)", "λ helps", "…", "accuracy (%)", "increasing", [new ClaimPoint(0.5, [1.0])]);
        Assert.Contains("\"x\":0.5", JsonSerializer.Serialize(series, RunJson.Options));
    }

    static StudyContext TinyContext(string root, List<string> log)
    {
        var recipe = ProbeRecipe.For(RunSize.Smoke) with
        {
            TrainImages = 32, TestImages = 16, FineTuneImages = 16, Seeds = [0],
            Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 },
        };
        recipe = recipe with
        {
            Pretrain = recipe.Pretrain with { BatchSize = 16 }, FineTune = recipe.FineTune with { BatchSize = 16 },
            Linear = recipe.Linear with { BatchSize = 16, Epochs = 1 }, Attentive = recipe.Attentive with { BatchSize = 16, Epochs = 1 },
        };
        var g = new Generator(3);
        ImageDataset Data(int n) => new(rand(new long[] { n, 1, 16, 16 }, generator: g), randint(3, new long[] { n }, generator: g), ["a", "b", "c"], "toy");
        return new StudyContext(recipe, new RunStore(root), Data(32), Data(16), log.Add);
    }

    [Fact]
    public void Both_studies_run_and_a_second_run_loads_everything()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var log = new List<string>();
        var context = TinyContext(dir.Path, log);
        var recipe = CaeStudyRecipe.For(RunSize.Smoke);
        var cae = new CaeStudy(recipe with
        {
            Probe = context.Recipe, Cae = recipe.Cae with { Encoder = context.Recipe.Encoder }, MaskRatios = [0.5], ReconstructionImages = 4,
        }, context);
        var mv = MultiViewStudyRecipe.For(RunSize.Smoke);
        var mvStudy = new MultiViewStudy(mv with
        {
            Probe = cae.Context.Recipe, MvMae = mv.MvMae with { Mae = cae.Context.Recipe.MaeBaseline() }, MaskRatios = [0.75], Lambdas = [2.0], DecoderDepths = [1],
        }, cae.Context);

        var main = cae.MainRuns();
        Assert.Equal(["CAE", "MAE", "random init", "raw pixels"], main.Select(m => m.Method));
        Assert.All(main.Take(3), m => Assert.InRange(m.Scores.FineTune, 0, 1));
        Assert.True(double.IsNaN(main[3].Scores.FineTune));
        Assert.Equal(4, cae.Table2Runs().Count);
        Assert.Single(cae.Table5Runs());
        Assert.Equal(2, cae.SkipReconstructions().Count);
        Assert.Equal(new long[] { 3 * 8, 1, 16, 16 }, cae.SkipReconstructionGrid(8).shape);   // images, with, without alignment
        var mvMain = mvStudy.MainRuns();
        Assert.Contains(log, l => l.StartsWith("loaded mae-views"));              // notebook 05's MAE, from the store
        Assert.All(mvMain.Where(m => m.Method == "MV-MAE"), m => Assert.True(double.IsNaN(m.Scores.Attentive)));
        Assert.Equal(4, mvStudy.Table6Runs().Count);
        Assert.Equal(3, mvStudy.Table5Runs().Count);

        // again: nothing is trained or probed
        log.Clear();
        var again = new CaeStudy(cae.Recipe, TinyContext(dir.Path, log));
        Assert.Equal(main.Select(m => m.Scores), again.MainRuns().Select(m => m.Scores));
        again.Table2Runs();
        new MultiViewStudy(mvStudy.Recipe, again.Context).Table6Runs();
        Assert.DoesNotContain(log, l => l.StartsWith("pretraining") || l.StartsWith("probing"));
    }
}
