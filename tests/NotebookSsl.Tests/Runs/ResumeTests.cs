using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

public class ResumeTests
{
    static readonly MaeConfig Small = new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    };

    static readonly TrainConfig Config = new() { Epochs = 2, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0.5, Seed = 4 };   // 4 steps an epoch

    static MaskedAutoencoder Build() => Seeds.Build(4, () => new MaskedAutoencoder(Small));

    /// <summary>
    /// The MAE loss scaled by one more draw from the run's generator after the masks, so that a resume that restored
    /// the generator's state at another point of its stream would train differently. (Not libtorch's global
    /// generator: no training path reads it since runs train side by side, and tests running in parallel move it.)
    /// </summary>
    static IEnumerable<StepRecord> Train(MaskedAutoencoder mae, Tensor images, Checkpointing? checkpoint, CancellationToken cancel = default) =>
        Trainer.Steps(mae, images, null, (x, _, g) => mae.Forward(x, generator: g).Loss * (1 + 0.5 * rand(1, generator: g)), Config,
            cancel: cancel, checkpoint: checkpoint);

    static void AssertSameWeights(MaskedAutoencoder a, MaskedAutoencoder b)
    {
        foreach (var ((name, x), (_, y)) in a.state_dict().Zip(b.state_dict()))
            Assert.Equal(x.data<float>().ToArray(), y.data<float>().ToArray());   // bit for bit
    }

    [Theory]
    [InlineData(3, 5)]   // interrupted inside an epoch: the saved data order is used
    [InlineData(4, 6)]   // checkpoint at an epoch boundary: the next epoch's order is drawn from the restored generator
    [InlineData(1, 7)]
    public void An_interrupted_then_resumed_training_ends_bit_identical_to_an_uninterrupted_one(int every, int stopAfter)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));

        using var plain = Build();
        var plainLosses = Train(plain, images, null).Select(r => r.Loss).ToList();

        using var once = Build();
        var onceLosses = Train(once, images, new Checkpointing(dir["once"], every)).Select(r => r.Loss).ToList();
        Assert.Equal(plainLosses, onceLosses);                  // checkpointing changes nothing
        AssertSameWeights(plain, once);

        var checkpoint = new Checkpointing(dir["cut"], every);
        using (var first = Build())
            Assert.Equal(stopAfter, Train(first, images, checkpoint).Take(stopAfter).Count());   // the process "dies" here
        Assert.Equal(stopAfter / every * every, checkpoint.SavedStep());

        rand(3);                                                // the new process's global generator is elsewhere: it must not matter
        using var resumed = Build();
        var records = Train(resumed, images, checkpoint).ToList();
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), records.Select(r => r.Step));
        Assert.Equal(plainLosses, records.Select(r => r.Loss));
        AssertSameWeights(plain, resumed);
    }

    [Fact]
    public void A_cancelled_training_saves_where_it_stopped_and_resumes_there()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        using var plain = Build();
        _ = Train(plain, images, null).ToList();

        var checkpoint = new Checkpointing(dir.Path, Every: 100);
        using var cancel = new CancellationTokenSource();
        using (var first = Build())
            foreach (var r in Train(first, images, checkpoint, cancel.Token))
                if (r.Step == 4) cancel.Cancel();
        Assert.Equal(5, checkpoint.SavedStep());

        using var resumed = Build();
        Assert.Equal(8, Train(resumed, images, checkpoint).Count());
        AssertSameWeights(plain, resumed);
        checkpoint.Clear();
        Assert.False(Directory.Exists(dir.Path));
    }

    [Fact]
    public void A_checkpoint_of_another_recipe_is_not_resumed()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        var checkpoint = new Checkpointing(dir["c"], 2);
        using (var first = Build()) _ = Train(first, images, checkpoint).Take(3).ToList();
        using var other = Build();
        var records = Trainer.Steps(other, images, null, (x, _, g) => other.Forward(x, generator: g).Loss, Config with { Lr = 2e-3 }, checkpoint: checkpoint).ToList();
        Assert.Equal(8, records.Count);
        // trained from step 0 with its own schedule: nothing of the other recipe replayed
        Assert.Equal(LrSchedule.At(0.25, Config with { Lr = 2e-3 }), records[1].Lr, 12);
    }

    [Fact]
    public void A_checkpoint_of_another_identity_is_not_resumed()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        using (var first = Build()) _ = Train(first, images, new Checkpointing(dir.Path, 2, Identity: "mask 0.75")).Take(3).ToList();
        Assert.Equal(2, new Checkpointing(dir.Path, 2, "mask 0.75").SavedStep());
        using var other = Build();
        var records = Train(other, images, new Checkpointing(dir.Path, 2, Identity: "mask 0.9")).ToList();
        Assert.Equal(8, records.Count);
        using var plain = Build();
        Assert.Equal(Train(plain, images, null).Select(r => r.Loss), records.Select(r => r.Loss));   // trained from the start
    }

    [Fact]
    public void The_run_store_resumes_an_interrupted_smoke_pretraining_and_removes_its_checkpoints()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var recipe = StudySize.Smoke;
        var pretrain = recipe.Pretrain with { Seed = 1 };
        var images = rand(recipe.TrainImages, 1, 28, 28, generator: new Generator(5));
        var key = new RunKey("mae-pretrain-test", new { recipe.Mae, pretrain }, 1);
        MaskedAutoencoder BuildSmoke() => Seeds.Build(1, () => new MaskedAutoencoder(recipe.Mae));
        List<double> Losses(MaskedAutoencoder mae, Checkpointing checkpoint, int? dieAfter)
        {
            var losses = new List<double>();
            foreach (var step in MaePretraining.Steps(mae, images, pretrain, checkpoint: checkpoint))
            {
                losses.Add(step.Loss);
                if (losses.Count == dieAfter) throw new OperationCanceledException("killed");
            }
            return losses;
        }

        var reference = new RunStore(dir["a"], _ => { });
        using var whole = reference.GetOrTrain(key, BuildSmoke, (mae, c) => Losses(mae, c, null), checkpointEvery: 1).Model;

        var log = new List<string>();
        var store = new RunStore(dir["b"], log.Add);
        Assert.Throws<OperationCanceledException>(() => store.GetOrTrain(key, BuildSmoke, (mae, c) => Losses(mae, c, 3), checkpointEvery: 1));
        Assert.Equal(3, store.CheckpointOf(key).SavedStep());
        var run = store.GetOrTrain(key, BuildSmoke, (mae, c) => Losses(mae, c, null), checkpointEvery: 1);
        using var resumed = run.Model;

        Assert.Contains(log, l => l.Contains("resuming") && l.Contains("after step 3"));
        Assert.Equal(reference.GetOrTrain(key, BuildSmoke, (mae, c) => Losses(mae, c, null)).Metrics, run.Metrics);
        AssertSameWeights(whole, resumed);
        Assert.False(Directory.Exists(store.CheckpointOf(key).Folder));
        Assert.Equal([store.FolderOf(key)], Directory.GetDirectories(dir["b"]));
    }

    public static TheoryData<string, string> Damages => new()
    {
        { "state.safetensors", "flip" },      // corrupted floats: would resume silently without a checksum
        { "optimizer.bin", "truncate" },      // was "attempted to read past the end of the stream", naming no file
        { "trainer.json", "flip" },
        { "checksums.json", "delete" },       // a checkpoint nothing vouches for
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_checkpoint_is_moved_aside_named_and_the_training_starts_over(string file, string damage)
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        using var plain = Build();
        var plainLosses = Train(plain, images, null).Select(r => r.Loss).ToList();

        var log = new List<string>();
        var checkpoint = new Checkpointing(dir["c"], 2) { Log = log.Add };
        using (var first = Build()) _ = Train(first, images, checkpoint).Take(5).ToList();
        var saved = Assert.Single(Directory.GetDirectories(dir["c"], "step-*"));
        var path = Path.Combine(saved, file);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[^3] ^= 0x5a; File.WriteAllBytes(path, bytes); break;
            case "truncate": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            default: File.Delete(path); break;
        }
        Assert.Null(checkpoint.SavedStep());   // nothing to resume from: said before any training

        using var again = Build();
        var records = Train(again, images, checkpoint).ToList();
        Assert.Equal(plainLosses, records.Select(r => r.Loss));   // from step 0, as if never interrupted
        AssertSameWeights(plain, again);
        var line = Assert.Single(log);
        Assert.StartsWith($"checkpoint: {path} is damaged (", line);
        var aside = Assert.Single(Directory.GetDirectories(dir.Path, "c.corrupt-*"));
        Assert.Contains($"moved {dir["c"]} to {aside} and training from step 0", line);
        Assert.True(File.Exists(Path.Combine(aside, Path.GetFileName(saved), "trainer.json")) || file == "trainer.json");   // kept for a look
        checkpoint.Clear();
    }

    [Fact]
    public void An_intact_checkpoint_that_cannot_be_restored_is_named_set_aside_and_the_next_run_starts_over()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        var log = new List<string>();
        var checkpoint = new Checkpointing(dir["c"], 2) { Log = log.Add };
        using (var first = Build()) _ = Train(first, images, checkpoint).Take(3).ToList();
        var saved = Assert.Single(Directory.GetDirectories(dir["c"], "step-*"));
        var optimizer = Path.Combine(saved, "optimizer.bin");
        File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..40]);
        // checksums that agree with the cut file: as a checkpoint of another version would pass them
        File.WriteAllText(Path.Combine(saved, "checksums.json"), System.Text.Json.JsonSerializer.Serialize(
            Directory.GetFiles(saved).Where(f => !f.EndsWith("checksums.json")).ToDictionary(f => Path.GetFileName(f), f => RunStore.Sha256(f))));

        using (var broken = Build())
        {
            var e = Assert.Throws<InvalidDataException>(() => Train(broken, images, checkpoint).ToList());
            Assert.StartsWith($"The checkpoint {optimizer} cannot be restored (", e.Message);
        }
        Assert.Single(Directory.GetDirectories(dir.Path, "c.corrupt-*"));
        using var plain = Build();
        var plainLosses = Train(plain, images, null).Select(r => r.Loss).ToList();
        using var again = Build();
        Assert.Equal(plainLosses, Train(again, images, checkpoint).Select(r => r.Loss));   // not the same failure on every re-run
    }

    [Fact]
    public void A_finished_training_is_kept_verified_and_reused_until_cleared()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));
        var log = new List<string>();
        var checkpoint = new Checkpointing(dir["c"], 2, "job") { Log = log.Add };
        using var trained = Build();
        var records = Train(trained, images, checkpoint).ToList();
        checkpoint.SaveFinished(trained, records, 12.5);
        Assert.Empty(Directory.GetDirectories(dir["c"], "step-*"));

        using var reused = new MaskedAutoencoder(Small);   // other weights until loaded
        var finished = checkpoint.TryLoadFinished(reused);
        Assert.NotNull(finished);
        Assert.Equal(records.Select(r => r.Loss), finished.Value.Records.Select(r => r.Loss));
        Assert.Equal(12.5, finished.Value.Seconds);
        AssertSameWeights(trained, reused);
        using (var other = new MaskedAutoencoder(Small))
            Assert.Null((checkpoint with { Identity = "another job" }).TryLoadFinished(other));

        var state = Path.Combine(dir["c"], "finished", "state.safetensors");
        var bytes = File.ReadAllBytes(state);
        bytes[^5] ^= 0x11;
        File.WriteAllBytes(state, bytes);
        using (var damaged = new MaskedAutoencoder(Small))
            Assert.Null(checkpoint.TryLoadFinished(damaged));
        Assert.Contains(log, l => l.StartsWith($"checkpoint: {state} is damaged (state.safetensors does not match"));
        checkpoint.Clear();
    }
}
