using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

/// <summary>Notebook 04's one helper: any method pretrained on a few images (or one photo) through the study's store (<see cref="PretrainMethod.OnFewImages"/>).</summary>
public class FewImagePretrainingTests
{
    static ImageDataset Random(int n, int seed, string name, int height = 28, int width = 28)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var labels = tensor(Enumerable.Range(0, n).Select(i => (long)(i % 4)).ToArray());
        return new ImageDataset(rand([n, 1, height, width], generator: g), labels, ["a", "b", "c", "d"], name);
    }

    static readonly VitConfig Encoder = new() { Width = 16, Depth = 1, Heads = 2 };

    // 32 pretraining images in batches of 8 for one epoch: 4 steps per run
    static StudySize Tiny() => StudySize.Smoke with
    {
        Encoder = Encoder,
        Mae = new MaeConfig { Encoder = Encoder, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2 },
        Pretrain = new TrainConfig { Epochs = 1, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0.25 },
        Protocol = EvalProtocol.For(RunSize.Smoke) with { TrainImages = 32, FineTuneImages = 16, TestImages = 16, KnnK = 4 },
        Seeds = [0, 1],
    };

    static Study Open(string root, ImageDataset train, ImageDataset test, List<string>? log = null) =>
        new(Tiny(), new Evaluation(Tiny().Protocol, train, test, new RunStore(root), log is null ? null : log.Add), log is null ? null : log.Add);

    static readonly PretrainMethod.Augmentation Crops = PretrainMethod.Augmentation.Views(ViewAugmentation.Mae(28) with { ScaleMin = 0.08 });

    [Fact]
    public void One_image_or_one_photo_takes_the_sizes_steps_and_a_second_run_loads_it()
    {
        using var dir = new TempDir();
        using var train = Random(32, 1, "train");
        using var test = Random(16, 2, "test");
        using var pool = Random(40, 3, "pool");
        var log = new List<string>();
        var study = Open(dir.Path, train, test, log);
        var mae = PretrainMethod.Mae(study.Size.Mae, augment: Crops);
        var steps = (int)Trainer.TotalSteps(study.Train.Count, study.Size.Pretrain);
        Assert.Equal(4, steps);

        var one = PretrainMethod.OnFewImages(mae, "pool, 1 random", seed => FewImages.Sample(pool, 1, FewImageSampling.Random, seed), name: "MAE, 1 image");
        var photo = PretrainMethod.OnFewImages(mae, "photo 40x50", _ => Random(1, 4, "photo", 40, 50), name: "MAE, photo crops");
        var ten = PretrainMethod.OnFewImages(mae, "pool, 10 random", seed => FewImages.Sample(pool, 10, FewImageSampling.Random, seed));
        foreach (var method in new[] { one, photo, ten })
        {
            using var run = study.Pretrain(method, 0);
            Assert.False(run.Loaded);
            Assert.Equal(steps, run.Record.Loss.Count);   // the size's steps, whatever the number of images
            Assert.All(run.Record.Loss, l => Assert.True(double.IsFinite(l)));
        }
        Assert.Equal("MAE, 1 image", one.Name);
        Assert.Equal("MAE", ten.Name);

        // the same images under the same name are one run; other images or another seed are another
        Assert.Equal(study.KeyOf(one, 0).Hash, study.KeyOf(PretrainMethod.OnFewImages(mae, "pool, 1 random", _ => throw new InvalidOperationException(), name: "MAE"), 0).Hash);
        Assert.NotEqual(study.KeyOf(one, 0).Hash, study.KeyOf(ten, 0).Hash);
        Assert.NotEqual(study.KeyOf(one, 0).Hash, study.KeyOf(one, 1).Hash);
        Assert.NotEqual(study.KeyOf(one, 0).Hash, study.KeyOf(mae, 0).Hash);

        log.Clear();
        using (var again = Open(dir.Path, train, test, log).Pretrain(one, 0)) Assert.True(again.Loaded);
        Assert.DoesNotContain(log, l => l.StartsWith("pretraining"));
    }

    [Fact]
    public void Stopping_early_cuts_the_same_schedule_and_is_a_run_of_its_own()
    {
        using var dir = new TempDir();
        using var train = Random(32, 1, "train");
        using var test = Random(16, 2, "test");
        using var pool = Random(40, 3, "pool");
        var study = Open(dir.Path, train, test);
        var mae = PretrainMethod.Mae(study.Size.Mae, augment: Crops);
        ImageDataset One(int seed) => FewImages.Sample(pool, 1, FewImageSampling.Random, seed);
        var full = PretrainMethod.OnFewImages(mae, "pool, 1 random", One);
        var early = PretrainMethod.OnFewImages(mae, "pool, 1 random", One, stopAt: 2);
        Assert.NotEqual(study.KeyOf(full, 0).Hash, study.KeyOf(early, 0).Hash);

        using var last = study.Pretrain(full, 0);
        using var mid = study.Pretrain(early, 0);
        Assert.Equal(last.Record.Loss.Take(2), mid.Record.Loss);   // the same seed replays the same first steps
        Assert.False(mid.Encoder.parameters().First().allclose(last.Encoder.parameters().First()));
        Assert.Throws<ArgumentException>(() => PretrainMethod.OnFewImages(mae, "pool", One, stopAt: 0));
        var e = Assert.Throws<ArgumentException>(() => study.Pretrain(PretrainMethod.OnFewImages(mae, "pool, 1 random", One, stopAt: 4), 0));
        Assert.Contains("use the whole run", e.Message);   // a cut at the last step would be the whole run under another key
    }

    [Fact]
    public void Any_method_trains_on_the_few_images_and_is_scored_by_the_protocol()
    {
        using var dir = new TempDir();
        using var train = Random(32, 1, "train");
        using var test = Random(16, 2, "test");
        using var pool = Random(40, 3, "pool");
        var study = Open(dir.Path, train, test);
        var supervised = PretrainMethod.OnFewImages(PretrainMethod.Supervised(Encoder, study.Size.Pretrain, augment: Crops),
            "pool, 8 one per class", seed => FewImages.Sample(pool, 8, FewImageSampling.OnePerClass, seed));
        var run = study.Run(supervised, 0, Probe.Frozen);
        Assert.Equal("supervised", run.Arm);
        Assert.InRange(run.Scores.Linear, 0, 1);
        Assert.InRange(run.Scores.Knn, 0, 1);
        Assert.True(double.IsNaN(run.Scores.FineTune));
        Assert.True(double.IsFinite(run.FinalLoss));
    }

    [Fact]
    public void More_images_than_the_study_has_are_refused_with_the_reason()
    {
        using var dir = new TempDir();
        using var train = Random(32, 1, "train");
        using var test = Random(16, 2, "test");
        using var pool = Random(40, 3, "pool");
        var study = Open(dir.Path, train, test);
        var many = PretrainMethod.OnFewImages(PretrainMethod.Mae(study.Size.Mae), "pool, all 40", _ => pool.Take(40));
        var e = Assert.Throws<ArgumentException>(() => study.Pretrain(many, 0));
        Assert.Contains("more than the study's 32", e.Message);
        Assert.False(study.Store.Contains(study.KeyOf(many, 0)));   // nothing half-stored
    }
}
