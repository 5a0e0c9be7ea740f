using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Training;

public class TrainingTests
{
    static readonly MaeConfig Small = new()
    {
        Encoder = new VitConfig { Width = 32, Depth = 2, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    };

    static List<double> Curve(int seed, Tensor images)
    {
        using var mae = Seeds.Build(seed, () => new MaskedAutoencoder(Small));
        return MaePretraining.Steps(mae, images, new TrainConfig { Epochs = 2, BatchSize = 32, Lr = 1e-3, Seed = seed }).Select(s => s.Loss).ToList();
    }

    [Fact]
    public void The_same_seed_gives_the_same_loss_curve()
    {
        using var scope = NewDisposeScope();
        var images = rand(128, 1, 28, 28, generator: new Generator(11));
        var a = Curve(3, images);
        var b = Curve(3, images);
        var c = Curve(4, images);
        Assert.Equal(8, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Warmup_then_cosine_matches_the_official_schedule()
    {
        var config = new TrainConfig { Epochs = 10, WarmupEpochs = 2, Lr = 1.0, MinLr = 0.1 };
        Assert.Equal(0.0, LrSchedule.At(0, config));
        Assert.Equal(0.5, LrSchedule.At(1, config), 12);
        Assert.Equal(1.0, LrSchedule.At(2, config), 12);
        Assert.Equal(0.1 + 0.9 * 0.5, LrSchedule.At(6, config), 12);   // half-way through the cosine
        Assert.Equal(0.1, LrSchedule.At(10, config), 12);
        Assert.Equal(1.5e-4 * 512 / 256, new TrainConfig { BatchSize = 512 }.PeakLr, 12);
    }

    [Fact]
    public void No_weight_decay_on_norms_biases_tokens_and_position_embeddings()
    {
        using var mae = new MaskedAutoencoder(Small);
        var noDecay = mae.named_parameters().Where(np => Optim.NoDecay(np.name, np.parameter)).Select(np => np.name).ToHashSet();
        Assert.Contains("cls_token", noDecay);
        Assert.Contains("mask_token", noDecay);
        Assert.Contains("blocks.0.norm1.weight", noDecay);
        Assert.Contains("blocks.0.attn.qkv.bias", noDecay);
        Assert.DoesNotContain("blocks.0.attn.qkv.weight", noDecay);
        Assert.DoesNotContain("patch_embed.proj.weight", noDecay);
        Assert.DoesNotContain("decoder_pred.weight", noDecay);
    }

    [Fact]
    public void Layer_decay_scales_by_depth()
    {
        var scale = Optim.LayerDecay(depth: 2, decay: 0.5);
        Assert.Equal(0.125, scale("patch_embed.proj.weight"));
        Assert.Equal(0.125, scale("cls_token"));
        Assert.Equal(0.25, scale("blocks.0.attn.qkv.weight"));
        Assert.Equal(0.5, scale("blocks.1.mlp.fc1.bias"));
        Assert.Equal(1.0, scale("head.weight"));
    }

    [Fact]
    public void Ema_moves_towards_the_source()
    {
        using var scope = NewDisposeScope();
        using var student = new VisionTransformer(Small.Encoder);
        using var teacher = new VisionTransformer(Small.Encoder);
        var ema = new Ema(teacher, student);
        var before = teacher.state_dict()["norm.bias"].clone();
        using (no_grad()) student.state_dict()["norm.bias"].add_(1.0);
        ema.Update(0.9);
        var after = teacher.state_dict()["norm.bias"];
        Assert.True((after - before - 0.1).abs().max().item<float>() < 1e-6);
        Assert.Equal(1.0, Ema.CosineMomentum(0.996, 100, 100), 12);
        Assert.Equal(0.996, Ema.CosineMomentum(0.996, 0, 100), 12);
    }

    [Fact]
    public void A_batch_larger_than_the_data_is_refused()
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Small);
        var e = Assert.Throws<ArgumentException>(() => MaePretraining.Steps(mae, rand(10, 1, 28, 28), new TrainConfig { BatchSize = 32 }));
        Assert.Contains("batch size", e.Message);
    }

    [Fact]
    public void Knn_votes_with_its_neighbours()
    {
        using var scope = NewDisposeScope();
        // two clusters on the unit circle; test points near each
        var train = nn.functional.normalize(tensor(new float[] { 1, 0.1f, 1, -0.1f, -1, 0.1f, -1, -0.1f }, new long[] { 4, 2 }), dim: 1);
        var labels = tensor(new long[] { 0, 0, 1, 1 });
        var test = nn.functional.normalize(tensor(new float[] { 1, 0.05f, -1, 0 }, new long[] { 2, 2 }), dim: 1);
        Assert.Equal(1.0, Knn.Classify(train, labels, test, tensor(new long[] { 0, 1 }), 2, k: 2, temperature: 0.07));
        Assert.Equal(0.0, Knn.Classify(train, labels, test, tensor(new long[] { 1, 0 }), 2, k: 2, temperature: 0.07));
    }
}

/// <summary>On real Fashion-MNIST (Debian's dataset-fashion-mnist, which .ci/run installs).</summary>
public class FashionMnistTrainingTests
{
    [Fact]
    public void A_short_pretraining_lowers_the_loss_and_probes_read_the_encoder()
    {
        if (!FashionMnist.IsAvailable(DatasetSplit.Train)) throw new InvalidOperationException("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist");
        using var scope = NewDisposeScope();
        using var all = FashionMnist.Load(DatasetSplit.Train);
        using var train = all.Take(1024);
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(new MaeConfig { Encoder = new VitConfig { Width = 64, Depth = 2, Heads = 4 }, DecoderWidth = 32, DecoderDepth = 1, DecoderHeads = 2 }));
        var steps = MaePretraining.Steps(mae, train.Images, new TrainConfig { Epochs = 3, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.5 }).ToList();
        double first = steps.Take(4).Average(s => s.Loss), last = steps.TakeLast(4).Average(s => s.Loss);
        Assert.True(last < 0.8 * first, $"loss went from {first:F3} to {last:F3}");

        // a linear probe on the features reads far above chance (10 %)
        using var test = FashionMnist.Load(DatasetSplit.Test).Take(512);
        var probe = LinearProbe.Run(mae.Encoder, train.Images, train.Labels, test.Images, test.Labels, 10, LinearProbe.DefaultConfig with { Epochs = 10, BatchSize = 64, WarmupEpochs = 1 });
        Assert.True(probe.Accuracy > 0.4, $"linear probe accuracy {probe.Accuracy:P1}");
    }
}
