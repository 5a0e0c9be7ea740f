using System.Text.Json;
using NotebookSsl.Data;
using NotebookSsl.Methods.Cae;
using NotebookSsl.Methods.MultiViewMae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Findings;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public class StudiesTests
{
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

    // a 16×16 toy size: 32 train / 16 held-out images, one seed, one epoch of everything
    static Study TinyStudy(string root, List<string> log)
    {
        var encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 };
        var smoke = StudySize.Smoke;
        var protocol = smoke.Protocol with
        {
            TrainImages = 32, FineTuneImages = 16, TestImages = 16, KnnK = 5,
            LinearIterations = 20,
            FineTune = smoke.Protocol.FineTune with { Epochs = 1, BatchSize = 16 },
            Attentive = smoke.Protocol.Attentive with { Epochs = 1, BatchSize = 16 },
        };
        var size = smoke with
        {
            Encoder = encoder, Protocol = protocol, Seeds = [0], Pretrain = smoke.Pretrain with { BatchSize = 16 },
            Mae = smoke.Mae with { Encoder = encoder, DecoderWidth = 16, DecoderHeads = 2 },
        };
        var g = new Generator(3);
        ImageDataset Data(int n) => new(rand(new long[] { n, 1, 16, 16 }, generator: g), randint(3, new long[] { n }, generator: g), ["a", "b", "c"], "toy");
        return new Study(size, new Evaluation(protocol, Data(32), Data(16), new RunStore(root), log.Add), log.Add);
    }

    // notebooks 05 and 06's arms: CAE on views (and an ablation), the size's MAE, the multi-view MAE
    static PretrainMethod[] Arms(StudySize s)
    {
        var cae = new CaeConfig { Encoder = s.Encoder, RegressorDepth = 1, DecoderDepth = 1 };
        var views = PretrainMethod.Augmentation.Views(s.Views);
        return
        [
            PretrainMethod.Cae(cae, augment: views), PretrainMethod.Cae(cae with { AlignmentWeight = 0 }, "w/o alignment", views),
            PretrainMethod.Mae(s.Mae), PretrainMethod.MultiViewMae(new MultiViewMaeConfig { Mae = s.Mae, CropScaleMin = s.CropScaleMin }),
        ];
    }

    [Fact]
    public void Cae_and_multi_view_arms_run_through_the_study_and_a_second_run_loads_everything()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var log = new List<string>();
        var study = TinyStudy(dir.Path, log);
        var arms = Arms(study.Size);
        // each arm is its own run; the views are part of a CAE's key
        Assert.Equal(arms.Length, arms.Select(a => study.KeyOf(a, 0).Hash).Distinct().Count());
        var plainCae = PretrainMethod.Cae(new CaeConfig { Encoder = study.Size.Encoder, RegressorDepth = 1, DecoderDepth = 1 });
        Assert.NotEqual(study.KeyOf(plainCae, 0).Hash, study.KeyOf(arms[0], 0).Hash);

        const Probe probes = Probe.Frozen | Probe.Attentive;
        var runs = arms.Select(a => study.Run(a, 0, probes)).Append(study.RandomInit(0, probes)).Append(study.RawPixels(0, probes)).ToList();
        Assert.Equal(["CAE", "w/o alignment", "MAE", "MV-MAE", "random init", "raw pixels"], runs.Select(r => r.Arm));
        Assert.All(runs, r =>
        {
            Assert.InRange(r.Scores.Linear, 0, 1);
            Assert.InRange(r.Scores.Knn, 0, 1);
            Assert.InRange(r.Scores.Attentive, 0, 1);
            Assert.True(double.IsNaN(r.Scores.FineTune));                     // not asked for
        });
        Assert.All(runs.Take(arms.Length), r => Assert.True(double.IsFinite(r.FinalLoss) && r.Seconds > 0));

        // Fig. 3 reads the stored CAE back as its own type
        using (var cae = study.Pretrain(arms[0], 0))
        {
            Assert.True(cae.Loaded);
            Assert.True(cae.As<ContextAutoencoder>().SkipReconstructionError(study.AnalysisImages) > 0);
        }

        // again, from the same store: nothing is trained or probed, the scores are the same
        log.Clear();
        var again = TinyStudy(dir.Path, log);
        var reruns = Arms(again.Size).Select(a => again.Run(a, 0, probes)).Append(again.RandomInit(0, probes)).Append(again.RawPixels(0, probes)).ToList();
        Assert.Equal(runs.Select(r => r.Scores), reruns.Select(r => r.Scores));
        Assert.DoesNotContain(log, l => l.StartsWith("pretraining") || l.Contains(" probe of "));
    }

    [Fact]
    public void A_cancelled_cae_or_multi_view_pretraining_stops_and_stores_nothing()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var study = TinyStudy(dir.Path, []);
        foreach (var arm in new[] { Arms(study.Size)[0], Arms(study.Size)[3] })
        {
            using var cancel = new CancellationTokenSource();
            int steps = 0;
            // the first step cancels: a CAE or MV-MAE that ignored the token would run its second step
            Assert.ThrowsAny<OperationCanceledException>(() => study.Pretrain(arm, 0, onStep: _ => { steps++; cancel.Cancel(); }, cancel: cancel.Token));
            Assert.Equal(1, steps);
            Assert.False(study.Store.Contains(study.KeyOf(arm, 0)));
        }
    }
}
