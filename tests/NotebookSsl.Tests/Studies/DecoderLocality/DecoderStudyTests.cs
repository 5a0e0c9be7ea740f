using NotebookSsl.Analysis;
using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Studies.DecoderLocality;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies.DecoderLocality;

public class DecoderStudyTests
{
    [Fact]
    public void Mean_and_sample_std()
    {
        var m = MeanStd.Of([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, m.Mean, 12);
        Assert.Equal(1.0, m.Std, 12);
        Assert.Equal("2.0 ± 1.0", m.Format("F1"));
        Assert.Equal("50.0", MeanStd.Of([0.5]).Format("F1", 100));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
    }

    [Fact]
    public void Sizes_are_valid_and_grow()
    {
        var sizes = new[] { RunSize.Smoke, RunSize.Quick, RunSize.Full }.Select(DecoderStudy.RecipeFor).ToArray();
        foreach (var r in sizes)
        {
            r.Mae.Validate();
            Assert.True(r.Mae.DecoderDepth >= 2, "first and last decoder layer must differ");
            Assert.All(r.MaskRatios, ratio => (r.Mae with { MaskRatio = ratio }).Validate());
        }
        Assert.True(sizes[0].TrainImages < sizes[1].TrainImages && sizes[1].TrainImages < sizes[2].TrainImages);
        Assert.True(sizes[1].Seeds.Count >= 3);
        Assert.Equal([0.3, 0.45, 0.6, 0.75, 0.9], sizes[1].MaskRatios);
    }

    /// <summary>The notebook's library calls end to end on a few real images, then again from the store.</summary>
    [SystemFashionMnistFact]
    public void The_whole_study_runs_and_a_second_run_loads_everything()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var recipe = DecoderStudy.RecipeFor(RunSize.Smoke) with
        {
            TrainImages = 64, TestImages = 32, AnalysisImages = 8, Seeds = [0, 1], MaskRatios = [0.5, 0.75],
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 16, Depth = 2, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 2, DecoderHeads = 2 },
        };
        recipe = recipe with
        {
            Pretrain = recipe.Pretrain with { BatchSize = 32 }, FineTune = recipe.FineTune with { BatchSize = 32 },
            Linear = recipe.Linear with { BatchSize = 32 }, Supervised = recipe.Supervised with { BatchSize = 32 },
        };
        using var trainAll = FashionMnist.Load(DatasetSplit.Train);
        using var testAll = FashionMnist.Load(DatasetSplit.Test);
        var log = new List<string>();
        var study = new DecoderStudy(recipe, new RunStore(dir.Path), trainAll.Take(64), testAll.Take(32), log.Add);

        var mae = study.Pretrain(study.MaeConfig(), 0);
        Assert.False(mae.Loaded);
        Assert.Equal(2, DecoderAnalysis.Similarity(mae.Model, study.AnalysisImages).Length);
        var runs = study.Table1Runs();
        Assert.Equal(3 * 2 + 2, runs.Count);
        var rows = DecoderStudy.Summarise(runs);
        Assert.Equal(["Transformer", "WeightedAverage", "Conv", "random init"], rows.Select(r => r.Decoder));
        Assert.All(rows, r => Assert.InRange(r.FineTune.Mean, 0, 1));
        Assert.True(rows[0].DecoderParameters > rows[1].DecoderParameters, "the Transformer decoder is the largest");
        var sweep = study.MaskRatioSweep();
        Assert.Equal([0.5, 0.75], sweep.Select(s => s.MaskRatio));
        Assert.All(sweep, s => Assert.Equal(2, s.Distance.Length));
        var supervised = study.Supervised();
        Assert.Equal(2, AttentionDistance.OfEncoder(supervised.Model.Encoder, study.AnalysisImages).Length);
        int trainedLines = log.Count(l => l.StartsWith("pretraining") || l.StartsWith("training") || l.StartsWith("evaluating"));
        Assert.Equal(6 + 1 + 6 + 2 + 1, trainedLines);   // 6 MAEs + 1 extra ratio, 6 + 2 evaluations, 1 supervised

        // the same study again: everything comes from the store, nothing is trained
        log.Clear();
        var again = new DecoderStudy(recipe, new RunStore(dir.Path), trainAll.Take(64), testAll.Take(32), log.Add);
        var runsAgain = again.Table1Runs();
        again.MaskRatioSweep();
        Assert.True(again.Supervised().Loaded);
        Assert.DoesNotContain(log, l => l.StartsWith("pretraining") || l.StartsWith("training") || l.StartsWith("evaluating"));
        Assert.Equal(runs.Select(r => r.FineTune), runsAgain.Select(r => r.FineTune));
    }
}
