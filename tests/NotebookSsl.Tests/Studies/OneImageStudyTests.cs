using NotebookSsl.Data;
using NotebookSsl.Analysis;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Studies.OneImage;
using NotebookSsl.Tests.Data;
using NotebookSsl.Methods.Supervised;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public class OneImageStudyTests
{
    static ImageDataset Random(int n, int seed, string name)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var labels = tensor(Enumerable.Range(0, n).Select(i => (long)(i % 4)).ToArray());
        return new ImageDataset(rand([n, 1, 28, 28], generator: g), labels, ["a", "b", "c", "d"], name);
    }

    static OneImageRecipe Tiny() => OneImageRecipe.For(RunSize.Smoke) with
    {
        PoolImages = 80, LabelledImages = 80, TestImages = 16, ImageCounts = [1, 8], SubsetImages = 8,
        Mae = new MaeConfig { Encoder = new VitConfig { Width = 16, Depth = 1, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2 },
        Pretrain = new TrainConfig { BatchSize = 4, Lr = 1e-3 },
        Budget = new StepBudget(4, 1), Checkpoints = [2, 4],
        FineTune = NotebookSsl.Probes.FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 40, WarmupEpochs = 0 },
        TenPercent = NotebookSsl.Probes.FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 8, WarmupEpochs = 0 },
        Linear = NotebookSsl.Probes.LinearProbe.DefaultConfig with { Epochs = 1, BatchSize = 40, WarmupEpochs = 0 },
        Supervised = SupervisedTraining.DefaultConfig with { BatchSize = 4 },
        Seeds = [0, 1],
    };

    [Fact]
    public void Sizes_are_valid()
    {
        foreach (var size in new[] { RunSize.Smoke, RunSize.Quick, RunSize.Full })
        {
            var r = OneImageRecipe.For(size);
            r.Mae.Validate();
            r.Budget.Validate();
            Assert.All(r.Checkpoints, s => Assert.InRange(s, 1, r.Budget.Steps));
            Assert.Contains(r.SubsetImages, r.ImageCounts);              // Table 7's "random" row is Table 6's largest
            Assert.True(r.TenPercentImages >= r.TenPercent.BatchSize);
            Assert.Equal(28, r.Augmentation.Size);
            if (size != RunSize.Smoke) Assert.True(r.Seeds.Count >= 3);
        }
        Assert.Equal([1, 10, 100, 1000], OneImageRecipe.For(RunSize.Quick).ImageCounts);
        Assert.True(OneImageRecipe.For(RunSize.Quick).PoolImages >= 10 * 1000 * 1.5, "one class of the pool must hold 1,000 images");
    }

    [Fact]
    public void Sources_are_labelled_for_the_tables()
    {
        Assert.Equal("1 image", FewImageSource.Images(1).Label);
        Assert.Equal("1000 images (one class)", FewImageSource.Images(1000, FewImageSampling.OneClass).Label);
        Assert.Equal("chelsea.png crops", FewImageSource.Photo.Label);
        Assert.Equal(FewImageSource.Images(10), FewImageSource.Images(10, FewImageSampling.Random));
    }

    /// <summary>Every table of the notebook on tiny random data, then again from the store with nothing trained.</summary>
    [Fact]
    public void The_whole_study_runs_and_a_second_run_loads_everything()
    {
        using var dir = new TempDir();
        using var pool = Random(80, 1, "pool");
        using var test = Random(16, 2, "test");
        var log = new List<string>();
        var study = new OneImageStudy(Tiny(), new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath(), log.Add);

        // the one image differs between seeds, the photo has no pool indices
        Assert.NotEqual(study.IndicesOf(FewImageSource.Images(1), 0), study.IndicesOf(FewImageSource.Images(1), 1));
        Assert.Empty(study.IndicesOf(FewImageSource.Photo, 0));

        var t6 = study.Table6Runs();
        Assert.Equal(["1 image", "8 images", "chelsea.png crops", "random init"], t6.Select(r => r.Source).Distinct());
        Assert.Equal(8, t6.Count);
        Assert.All(t6, r => Assert.InRange(r.FineTune, 0, 1));
        var t7 = study.Table7Runs();
        Assert.Equal(6, t7.Count);
        // Table 7's random row is Table 6's 8-image run, from the store
        Assert.Equal(t6.Where(r => r.Source == "8 images").Select(r => r.FineTune), t7.Where(r => r.Source == "8 images").Select(r => r.FineTune));
        var t8 = study.Table8Runs();
        Assert.Equal(["random init", "supervised", "MAE", "raw pixels"], t8.Select(r => r.Method).Distinct());
        Assert.All(t8.Where(r => r.Method == "raw pixels"), r => Assert.True(double.IsNaN(r.FineTune)));
        var early = study.EarlyStopping();
        Assert.Equal([0, 2, 4], early.Where(p => p.Seed == 0).Select(p => p.Step));
        // the last checkpoint is the Table 6 1-image run, and step 0 is random init
        Assert.Equal(t6.Where(r => r.Source == "1 image").Select(r => r.FineTune), early.Where(p => p.Step == 4).Select(p => p.FineTune));
        Assert.Equal(t6.Where(r => r.Source == "random init").Select(r => r.FineTune), early.Where(p => p.Step == 0).Select(p => p.FineTune));
        // the 1-image run trained once: its checkpoints were stored on the way, the early-stopping curve loaded them
        Assert.Single(log, l => l.StartsWith("pretraining MAE on 1 image, seed 0"));

        // a checkpoint's weights differ from the final run's
        using (var mid = study.Checkpoint(FewImageSource.Images(1), 0, 2).Model)
        using (var last = study.Pretrain(FewImageSource.Images(1), 0).Model)
            Assert.False(mid.Encoder.parameters().First().allclose(last.Encoder.parameters().First()));

        var claims = OneImageClaims.Build(t6, t7, t8, 8);
        Assert.Contains(claims, c => c.Experiment == OneImageClaims.Table6 && c.Expect == "a~b" && c.Tolerance == OneImageClaims.Tolerance);
        Assert.Contains(claims, c => c.Experiment == OneImageClaims.Table7);
        Assert.DoesNotContain(claims, c => c.Text.Contains("MoCo"));   // pending methods leave their claims out
        Assert.All(claims, c => { Assert.Equal(2, c.A!.Values.Count); Assert.Equal(2, c.B!.Values.Count); });

        // again: everything loads
        log.Clear();
        var again = new OneImageStudy(Tiny(), new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath(), log.Add);
        Assert.Equal(t6, again.Table6Runs());
        Assert.Equal(t7, again.Table7Runs());
        Assert.Equal(t8.Select(r => r.Linear), again.Table8Runs().Select(r => r.Linear));
        Assert.Equal(early.Select(p => p.FineTune), again.EarlyStopping().Select(p => p.FineTune));
        Assert.DoesNotContain(log, l => l.StartsWith("pretraining") || l.StartsWith("supervised") || l.Contains("probe of"));
    }

    [Fact]
    public void A_pool_too_small_for_one_class_is_rejected_up_front()
    {
        using var pool = Random(80, 1, "pool");   // 20 per class
        using var test = Random(16, 2, "test");
        var e = Assert.Throws<ArgumentException>(() => new OneImageStudy(Tiny() with { ImageCounts = [1, 30], SubsetImages = 30 },
            new RunStore(Path.GetTempPath()), pool, pool, test, SingleImage.ShippedPhotoPath()));
        Assert.Contains("only 20", e.Message);
    }

    [Fact]
    public void Table8_takes_notebook_03s_methods_on_the_few_images()
    {
        using var dir = new TempDir();
        using var pool = Random(80, 1, "pool");
        using var test = Random(16, 2, "test");
        var recipe = Tiny() with { Seeds = [0] };
        var study = new OneImageStudy(recipe, new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath());
        var occlusion = OneImageOcclusion.RecipeFor(study, RunSize.Smoke);
        Assert.Equal(recipe.Mae.Encoder, occlusion.MocoV3.Encoder);
        Assert.Equal(recipe.Mae.Encoder, occlusion.CMae.Encoder);
        Assert.Equal(8, occlusion.TrainImages);
        Assert.Equal(4, occlusion.Pretrain.Epochs * (8 / occlusion.Pretrain.BatchSize));   // the step budget, in whole epochs
        var others = OneImageOcclusion.Methods(study, RunSize.Smoke);
        var t8 = study.Table8Runs(others);
        Assert.Equal(["random init", "supervised", "MAE", "MoCo v3", "R-MAE", "C-MAE", "raw pixels"], t8.Select(r => r.Method));
        Assert.All(t8.Where(r => r.Method != "raw pixels"), r => Assert.InRange(r.FineTune, 0, 1));
        // their runs sit in a sub-folder of the store named after the few-image set
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "fewimage-8-oneperclass-pool80")));
        var claims = OneImageClaims.Build([], [], t8, 8);
        Assert.Contains(claims, c => c.Text == "MAE fine-tunes better than MoCo v3");
        Assert.Contains(claims, c => c.Text.StartsWith("C-MAE fine-tunes about as well as MAE"));
        Assert.Equal(t8, study.Table8Runs(OneImageOcclusion.Methods(study, RunSize.Smoke)));   // from the store
    }

    [Fact]
    public void Pretraining_moves_the_encoder_away_from_the_random_init_of_its_seed()
    {
        using var dir = new TempDir();
        using var pool = Random(80, 1, "pool");
        using var test = Random(16, 2, "test");
        var study = new OneImageStudy(Tiny(), new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath());
        var run = study.Pretrain(FewImageSource.Images(8), 0);
        using var random = RandomInit.Encoder(study.Recipe.Mae.Encoder, 0);
        using (run.Model)
        {
            var trained = run.Model.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var moved = random.named_parameters().Count(p => !p.parameter.allclose(trained[p.name], rtol: 0, atol: 1e-6));
            Assert.True(moved > 0.8 * trained.Count, $"{moved} of {trained.Count} encoder tensors moved");
            using var scope = NewDisposeScope();
            var a = NotebookSsl.Probes.Features.Extract(run.Model.Encoder, test.Images, NotebookSsl.Probes.FeatureKind.MeanPatch);
            var b = NotebookSsl.Probes.Features.Extract(random, test.Images, NotebookSsl.Probes.FeatureKind.MeanPatch);
            Assert.True((a - b).abs().max().item<float>() > 1e-3f);
        }
    }

    [Fact]
    public void A_checkpoint_missing_beside_a_stored_run_is_trained_again_on_the_same_curve()
    {
        using var dir = new TempDir();
        using var pool = Random(80, 1, "pool");
        using var test = Random(16, 2, "test");
        var log = new List<string>();
        var study = new OneImageStudy(Tiny(), new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath(), log.Add);
        var final = study.Pretrain(FewImageSource.Images(1), 1);            // no checkpoints kept
        final.Model.Dispose();
        var mid = study.Checkpoint(FewImageSource.Images(1), 1, 2);         // trains the run again to store step 2
        mid.Model.Dispose();
        Assert.Equal(2, log.Count(l => l.StartsWith("pretraining MAE on 1 image, seed 1")));
        Assert.Equal(2, mid.Metrics.Steps);
        Assert.Equal(final.Metrics.Loss.Take(2), mid.Metrics.Loss);          // the same seed replays the same curve
        Assert.Equal(study.IndicesOf(FewImageSource.Images(1), 1), mid.Metrics.Indices);
        Assert.Throws<ArgumentException>(() => study.Checkpoint(FewImageSource.Images(1), 1, 3));   // not a recipe checkpoint
    }

    [Fact]
    public void Same_seed_same_pretraining()
    {
        using var pool = Random(80, 1, "pool");
        using var test = Random(16, 2, "test");
        IReadOnlyList<double> Loss()
        {
            using var dir = new TempDir();
            var study = new OneImageStudy(Tiny(), new RunStore(dir.Path), pool, pool, test, SingleImage.ShippedPhotoPath());
            var run = study.Pretrain(FewImageSource.Photo, 1);
            run.Model.Dispose();
            return run.Metrics.Loss;
        }
        Assert.Equal(Loss(), Loss());
    }
}
