using NotebookSsl.Data;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Tests.Methods.Dino;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

/// <summary>Notebook 02's arms: DINO and Uni-SSL as <see cref="PretrainMethod"/>s through a <see cref="Study"/>.</summary>
public class UniSslArmsTests
{
    [Theory]
    [InlineData(RunSize.Smoke)]
    [InlineData(RunSize.Quick)]
    [InlineData(RunSize.Full)]
    public void Uni_ssl_is_dinos_run_with_the_point_loss_so_only_the_loss_differs(RunSize name)
    {
        // the notebook's Uni-SSL arm: DINO's config and budget at the size (the run notebooks 01, 02 and 05 share)
        var size = StudySize.For(name);
        var dino = References.Dino(size);
        var uni = PretrainMethod.UniSsl(new UniSslConfig { Dino = References.DinoConfigOf(size) }, train: References.DinoTrain(size));
        Assert.Equal(size.Encoder, References.DinoConfigOf(size).Encoder);
        Assert.Equal(dino.Train, uni.Train);
        Assert.NotEqual(dino.Kind, uni.Kind);
        // the default K×K points and S×S window fit the size's token grid (a sweep's values are checked by UniSslConfig)
        var c = new UniSslConfig { Dino = References.DinoConfigOf(size) }.Validate();
        Assert.InRange(c.Points, 1, size.Encoder.GridSize);
        Assert.InRange(c.WindowTokens, 1, size.Encoder.GridSize);
        Assert.Throws<ArgumentException>(() => (c with { WindowTokens = 4 }).Validate());
    }

    [Fact]
    public void Dino_and_uni_ssl_pretrain_through_the_study_and_load_with_their_centre_weights_and_teacher_encoder()
    {
        using var scope = NewDisposeScope();
        var root = Path.Combine(Path.GetTempPath(), "unissl-study-" + Guid.NewGuid().ToString("N"));
        try
        {
            var study = TinyStudy(new RunStore(root));
            var train = DinoConfig.DefaultTrain with { Epochs = 1, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3 };
            var arms = new[]
            {
                PretrainMethod.Dino(DinoTests.Tiny, train: train),
                PretrainMethod.UniSsl(new UniSslConfig { Dino = DinoTests.Tiny, Points = 2, WindowTokens = 1 }, train: train),
            };
            foreach (var arm in arms)
            {
                int steps = 0;
                using var first = study.Pretrain(arm, seed: 0, onStep: _ => steps++);
                using var second = study.Pretrain(arm, seed: 0, onStep: _ => throw new InvalidOperationException("a stored run must load, not train"));
                Assert.False(first.Loaded, arm.Name);
                Assert.True(second.Loaded, arm.Name);
                Assert.Equal(2, steps);                                        // 16 images, batch 8, 1 epoch
                Assert.Equal<double>(first.Record.Loss, second.Record.Loss);
                var a = first.Model.state_dict();
                var b = second.Model.state_dict();
                Assert.Equal(a.Keys.Order(), b.Keys.Order());
                foreach (var key in a.Keys) Assert.True(a[key].Same(b[key]), $"{arm.Name}: {key}");
                var centre = arm.Kind == "dino" ? second.As<DinoModel>().Loss.Center : second.As<UniSslModel>().Loss.Center;
                Assert.True(centre.abs().sum().item<float>() > 0, $"{arm.Name}: the DINO centre is stored");
                // the encoder probed is the EMA teacher's backbone (DINO's practice)
                var teacher = arm.Kind == "dino" ? second.As<DinoModel>().Teacher.Backbone : second.As<UniSslModel>().Teacher.Backbone;
                Assert.Same(teacher, second.Encoder);
                var scores = study.Score(second, Probe.Frozen);
                Assert.InRange(scores.Linear, 0, 1);
                Assert.True(double.IsNaN(scores.FineTune));
            }
            Assert.NotEqual(study.KeyOf(arms[0], 0).Hash, study.KeyOf(arms[1], 0).Hash);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    // 16 train and 8 held-out random 16×16 images of 10 classes, and a protocol small enough for them
    static Study TinyStudy(RunStore store)
    {
        var g = new Generator(1);
        var names = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var trainSet = new ImageDataset(rand(16, 1, 16, 16, generator: g), arange(16) % 10, names, "toy");
        var testSet = new ImageDataset(rand(8, 1, 16, 16, generator: g), arange(8) % 10, names, "toy");
        var protocol = EvalProtocol.For(RunSize.Smoke) with { TrainImages = 16, FineTuneImages = 8, TestImages = 8, KnnK = 3,
            LinearIterations = 20 };
        var size = StudySize.Smoke with { Encoder = DinoTests.Tiny.Encoder, Protocol = protocol, Pretrain = StudySize.Smoke.Pretrain with { BatchSize = 8 } };
        return new Study(size, new Evaluation(protocol, trainSet, testSet, store), log: null);
    }
}
