using NotebookSsl.Analysis;
using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

/// <summary>
/// What notebook 01 relies on, now that its loops live in the notebook: its arms are the size's MAE with another decoder
/// or mask ratio, so its Transformer arm and its 0.75 point are the shared MAE run (loaded, not trained again), and the
/// decoder measures (S_l, PSNR) run on a model the shared <see cref="Study"/> pretrained.
/// </summary>
public class DecoderLocalityTests
{
    static readonly double[] QuickRatios = [0.3, 0.45, 0.6, 0.75, 0.9];

    static PretrainMethod Decoder(StudySize s, DecoderKind kind) => PretrainMethod.Mae((s.Mae with { Decoder = kind }).Validate(), name: kind.ToString());

    // a study on a few random images: run keys need the data's name and size, not Fashion-MNIST
    static Study RandomStudy(StudySize s, RunStore store)
    {
        var p = s.Protocol with { TrainImages = 256, FineTuneImages = 64, TestImages = 16 };
        s = s with { Protocol = p };
        var names = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var train = new ImageDataset(rand(p.TrainImages, 1, 28, 28, generator: new Generator(1)), arange(p.TrainImages) % 10, names, "random");
        var test = new ImageDataset(rand(p.TestImages, 1, 28, 28, generator: new Generator(2)), arange(p.TestImages) % 10, names, "random");
        return new Study(s, new Evaluation(p, train, test, store));
    }

    [Theory]
    [InlineData(RunSize.Smoke)]
    [InlineData(RunSize.Quick)]
    [InlineData(RunSize.Full)]
    public void Table_1_and_the_sweep_vary_only_the_sizes_mae_so_its_transformer_arm_and_its_075_point_are_the_shared_run(RunSize size)
    {
        using var dir = new TempDir();
        var s = StudySize.For(size);
        var study = RandomStudy(s, new RunStore(dir.Path));
        Assert.Equal(s.Encoder, s.Mae.Encoder);
        Assert.Equal(DecoderKind.Transformer, s.Mae.Decoder);
        Assert.Equal(0.75, s.Mae.MaskRatio);

        // the run folder a method at a seed is stored in: the same folder is the same run
        string Folder(PretrainMethod method, int seed) => study.KeyOf(method, seed).FolderName;
        var keys = Enum.GetValues<DecoderKind>().Select(k => Folder(Decoder(s, k), 0)).ToArray();
        Assert.Equal(Folder(study.Mae, 0), keys[0]);
        Assert.Equal(keys.Length, keys.Distinct().Count());

        var ratioKeys = QuickRatios.Select(r => Folder(PretrainMethod.Mae((s.Mae with { MaskRatio = r }).Validate(), name: $"MAE, mask {r}"), 0)).ToArray();
        Assert.Equal(Folder(study.Mae, 0), ratioKeys[3]);
        Assert.Equal(ratioKeys.Length, ratioKeys.Distinct().Count());
        Assert.NotEqual(Folder(study.Mae, 0), Folder(study.Mae, 1));
    }

    /// <summary>Table 1's loop at two seeds on a few real images, with the notebook's decoder measures; then again from the store.</summary>
    [SystemFashionMnistFact]
    public void Table_1s_loop_runs_through_the_shared_study_and_a_second_run_loads_every_model_and_score()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var encoder = new VitConfig { Width = 16, Depth = 2, Heads = 2 };
        var s = StudySize.Smoke with
        {
            Encoder = encoder, Seeds = [0, 1], AnalysisImages = 8,
            Mae = StudySize.Smoke.Mae with { Encoder = encoder, DecoderWidth = 16, DecoderDepth = 2, DecoderHeads = 2 },
            Protocol = StudySize.Smoke.Protocol with { TrainImages = 64, FineTuneImages = 32, TestImages = 32, KnnK = 5 },
        };
        using var trainAll = FashionMnist.Load(DatasetSplit.Train);
        using var testAll = FashionMnist.Load(DatasetSplit.Test);
        (List<ArmRun> Runs, List<double> Psnr, List<string> Log) Table1()
        {
            var log = new List<string>();
            var study = new Study(s, new Evaluation(s.Protocol, trainAll.Take(64), testAll.Take(32), new RunStore(dir.Path), log.Add), log.Add);
            var runs = new List<ArmRun>();
            var psnr = new List<double>();
            foreach (var seed in s.Seeds)
            {
                foreach (var arm in Enum.GetValues<DecoderKind>().Select(k => Decoder(s, k)))
                {
                    using var run = study.Pretrain(arm, seed);
                    runs.Add(new ArmRun(arm.Name, seed, study.Score(run, Probe.Frozen), run.Record.FinalLoss, run.Record.Seconds));
                    var mae = run.As<MaskedAutoencoder>();
                    psnr.Add(Psnr.OfReconstruction(mae, study.Test.Images, maskSeed: seed));
                    if (mae.Config.Decoder == DecoderKind.Transformer)
                        Assert.Equal(2, DecoderAnalysis.Similarity(mae, study.AnalysisImages).Length);
                }
                runs.Add(study.RandomInit(seed, Probe.Frozen));
            }
            return (runs, psnr, log);
        }

        var (runs, psnr, log) = Table1();
        var rows = ArmRow.Summarise(runs);
        Assert.Equal(["Transformer", "WeightedAverage", "Conv", "random init"], rows.Select(r => r.Arm));
        Assert.All(rows, r => Assert.InRange(r.Linear.Mean, 0, 1));
        Assert.All(rows, r => Assert.True(double.IsNaN(r.FineTune.Mean), "only the frozen probes were asked for"));
        Assert.All(psnr, p => Assert.True(double.IsFinite(p) && p > 0, $"PSNR {p}"));
        Assert.Equal(3 * 2, log.Count(l => l.StartsWith("pretraining")));
        Assert.Equal(4 * 2 * 2, log.Count(l => l.Contains(" probe of ")));   // linear and k-NN of 3 MAEs and random init, at 2 seeds

        // the same loop again: every model and every score from the store, the same numbers
        var again = Table1();
        Assert.DoesNotContain(again.Log, l => l.StartsWith("pretraining") || l.Contains(" probe of "));
        Assert.Equal(runs.Select(r => r.Scores), again.Runs.Select(r => r.Scores));
        Assert.Equal(psnr, again.Psnr);
    }
}
