using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Training;

public class StepBudgetTests
{
    static MaskedAutoencoder TinyMae(int seed) => Seeds.Build(seed, () => new MaskedAutoencoder(new MaeConfig
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 },
        DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    }));

    static CropStream Stream() => new(rand([1, 1, 20, 20], generator: new TorchSharp.torch.Generator(1)), CropStream.StrongAugmentation(8), "one");

    [Fact]
    public void Runs_exactly_the_budget_with_warmup_then_cosine()
    {
        var budget = new StepBudget(10, 4);
        var config = new TrainConfig { BatchSize = 4, Lr = 1e-3 };
        using var mae = TinyMae(0);
        using var stream = Stream();
        var after = new List<long>();
        var records = MaePretraining.Steps(mae, stream.Batches(4, 0), config, budget, afterStep: after.Add).Collect();
        Assert.Equal(10, records.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), records.Select(r => r.Step));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), after);
        Assert.Equal(0.0, records[0].Lr, 12);
        Assert.Equal(0.5e-3, records[2].Lr, 12);      // warmup: 2/4 of the peak
        Assert.Equal(1e-3, records[4].Lr, 12);        // the peak right after warmup
        Assert.True(records[9].Lr < records[5].Lr);   // cosine decay over the rest
        Assert.All(records, r => Assert.True(double.IsFinite(r.Loss)));
    }

    [Fact]
    public void Same_seed_same_curve_and_weights()
    {
        double[] Curve(int seed, out float[] weights)
        {
            using var mae = TinyMae(seed);
            using var stream = Stream();
            var config = new TrainConfig { BatchSize = 4, Lr = 1e-3, Seed = seed };
            var losses = MaePretraining.Steps(mae, stream.Batches(4, seed + 100), config, new StepBudget(5, 1)).Select(r => r.Loss).ToArray();
            weights = mae.Encoder.parameters().First().data<float>().ToArray();
            return losses;
        }
        Assert.Equal(Curve(3, out var w1), Curve(3, out var w2));
        Assert.Equal(w1, w2);
        Assert.NotEqual(Curve(3, out _), Curve(4, out _));
    }

    [Fact]
    public void The_model_learns_and_the_gradient_reaches_the_encoder()
    {
        using var mae = TinyMae(0);
        using var stream = Stream();
        var before = mae.Encoder.parameters().Select(p => p.clone()).ToArray();
        var records = MaePretraining.Steps(mae, stream.Batches(8, 0), new TrainConfig { BatchSize = 8, Lr = 3e-3 }, new StepBudget(40, 2)).Collect();
        Assert.True(records.Skip(30).Average(r => r.Loss) < records.Take(5).Average(r => r.Loss));
        Assert.Contains(mae.Encoder.parameters().Zip(before), pair => !pair.First.allclose(pair.Second));
    }

    [Fact]
    public void Bad_budgets_and_batches_are_rejected()
    {
        using var mae = TinyMae(0);
        using var stream = Stream();
        Assert.Throws<ArgumentException>(() => new StepBudget(0, 0).Validate());
        Assert.Throws<ArgumentException>(() => new StepBudget(5, 6).Validate());
        var wrongBatch = MaePretraining.Steps(mae, stream.Batches(3, 0), new TrainConfig { BatchSize = 4 }, new StepBudget(2, 0));
        var e = Assert.Throws<ArgumentException>(() => wrongBatch.Collect());
        Assert.Contains("batch of 3", e.Message);
        var finite = MaePretraining.Steps(mae, stream.Batches(4, 0).Take(2), new TrainConfig { BatchSize = 4 }, new StepBudget(3, 0));
        Assert.Throws<InvalidOperationException>(() => finite.Collect());
    }

    [Fact]
    public void Cancellation_ends_the_stream_between_steps()
    {
        using var mae = TinyMae(0);
        using var stream = Stream();
        using var cancel = new CancellationTokenSource();
        var seen = 0;
        foreach (var _ in MaePretraining.Steps(mae, stream.Batches(4, 0), new TrainConfig { BatchSize = 4 }, new StepBudget(10, 0), cancel: cancel.Token))
            if (++seen == 3) cancel.Cancel();
        Assert.Equal(3, seen);
        Assert.False(mae.training);
    }
}
