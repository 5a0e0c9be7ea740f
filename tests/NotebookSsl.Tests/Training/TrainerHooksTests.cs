using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Training;

public class TrainerHooksTests
{
    static readonly MaeConfig Small = new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    };

    static readonly TrainConfig Config = new() { Epochs = 2, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0 };

    [Fact]
    public void AfterStep_runs_once_per_step_after_the_update_without_gradients()
    {
        using var scope = NewDisposeScope();
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(Small));
        var images = rand(32, 1, 16, 16, generator: new Generator(1));
        var seen = new List<(long Step, bool Grad, float Weight)>();
        var weight = mae.Encoder.named_parameters().First(p => p.name == "patch_embed.proj.weight").parameter;
        var records = Trainer.Steps(mae, images, null, (x, _, g) => mae.Forward(x, generator: g).Loss, Config,
            afterStep: step => seen.Add((step, is_grad_enabled(), weight.flatten()[0].item<float>()))).ToList();

        Assert.Equal(records.Select(r => r.Step), seen.Select(s => s.Step));
        Assert.All(seen, s => Assert.False(s.Grad));
        // the hook sees the weights after the step: each value differs from the one before it
        Assert.Equal(seen.Count, seen.Select(s => s.Weight).Distinct().Count());
    }

    [Fact]
    public void A_cancelled_stream_ends_between_steps_and_keeps_the_weights()
    {
        using var scope = NewDisposeScope();
        var images = rand(32, 1, 16, 16, generator: new Generator(1));
        using var cancel = new CancellationTokenSource();
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(Small));
        var records = new List<StepRecord>();
        foreach (var step in MaePretraining.Steps(mae, images, Config, cancel: cancel.Token))
        {
            records.Add(step);
            if (step.Step == 2) cancel.Cancel();
        }
        Assert.Equal([0L, 1, 2], records.Select(r => r.Step));
        Assert.False(mae.training);

        // the weights are those of three uninterrupted steps
        using var reference = Seeds.Build(0, () => new MaskedAutoencoder(Small));
        _ = MaePretraining.Steps(reference, images, Config).Take(3).ToList();
        foreach (var ((name, a), (_, b)) in mae.named_parameters().Zip(reference.named_parameters()))
            Assert.True(a.allclose(b, 0, 0), name);
    }

    [Fact]
    public void A_token_cancelled_before_the_start_trains_nothing()
    {
        using var scope = NewDisposeScope();
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(Small));
        var before = mae.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var records = MaePretraining.Steps(mae, rand(32, 1, 16, 16), Config, cancel: new CancellationToken(canceled: true)).ToList();
        Assert.Empty(records);
        Assert.All(mae.state_dict(), kv => Assert.True(kv.Value.allclose(before[kv.Key], 0, 0), kv.Key));
    }
}
