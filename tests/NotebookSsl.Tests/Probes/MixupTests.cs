using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Probes;

/// <summary>timm's Mixup in batch mode, as main_finetune.py uses it: the images and the targets carry the same λ.</summary>
public class MixupTests
{
    static readonly long[] Labels = [0, 1, 2, 3, 4, 5];   // distinct, so a row's own class and its partner's never coincide

    static bool Same(Tensor a, Tensor b) => (a == b).all().item<bool>();

    static (Tensor Images, Tensor Labels) Batch() => (rand(6, 1, 8, 8, generator: new Generator(7)), tensor(Labels));

    [Fact]
    public void Mixup_blends_each_image_with_its_reverse_by_the_lambda_its_target_carries()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch();
        var (mixed, targets) = (new Mixup { CutmixAlpha = 0, Smoothing = 0 }).Apply(x, y, 10, new Generator(1));
        double lambda = targets[0, 0].item<float>();                           // row 0 is class 0 mixed with class 5
        Assert.InRange(lambda, 1e-6, 1 - 1e-6);
        Assert.Equal(1 - lambda, targets[0, 5].item<float>(), 5);
        Assert.True(allclose(mixed, x * lambda + x.flip(0) * (1 - lambda), rtol: 1e-5, atol: 1e-6));
        Assert.True(allclose(targets.sum(-1), ones(6), atol: 1e-6));
    }

    [Fact]
    public void Cutmix_pastes_one_box_from_the_reversed_batch_and_its_target_is_the_box_area()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch();
        for (ulong seed = 0; seed < 20; seed++)
        {
            var (mixed, targets) = (new Mixup { MixupAlpha = 0, Smoothing = 0 }).Apply(x, y, 10, new Generator(seed));
            var fromOther = (mixed == x.flip(0)) & (mixed != x);                // [6, 1, 8, 8] pixels that came from the partner
            var fromSelf = mixed == x;
            Assert.True((fromOther | fromSelf).all().item<bool>());          // nothing blended
            double pastedShare = fromOther[0].to(ScalarType.Float32).mean().item<float>();
            Assert.Equal(pastedShare, 1 - targets[0, 0].item<float>(), 5);    // λ corrected to the box's true area
            Assert.True(Same(fromOther[0], fromOther[1]));                     // one box for the whole batch
        }
    }

    [Fact]
    public void Smoothing_gives_the_true_class_one_minus_s_plus_s_over_k_and_every_other_s_over_k()
    {
        using var scope = NewDisposeScope();
        var x = rand(4, 1, 8, 8);
        var same = tensor(new long[] { 3, 3, 3, 3 });                          // mixing two rows of one class changes nothing
        var (_, targets) = Mixup.Official.Apply(x, same, 10, new Generator(0));
        Assert.Equal(1 - 0.1 + 0.01, targets[0, 3].item<float>(), 5);
        Assert.Equal(0.01, targets[2, 7].item<float>(), 5);
    }

    [Fact]
    public void The_same_generator_seed_gives_the_same_batch_and_another_seed_another()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Batch();
        var a = Mixup.Official.Apply(x, y, 10, new Generator(3));
        var b = Mixup.Official.Apply(x, y, 10, new Generator(3));
        Assert.True(Same(a.Images, b.Images) && Same(a.Targets, b.Targets));
        var differ = Enumerable.Range(4, 6).Any(s => !Same(Mixup.Official.Apply(x, y, 10, new Generator((ulong)s)).Targets, a.Targets));
        Assert.True(differ);
    }

    [Fact]
    public void Soft_target_cross_entropy_on_one_hot_targets_is_the_cross_entropy()
    {
        using var scope = NewDisposeScope();
        var logits = randn(5, 10, generator: new Generator(1));   // its own generator: tests run in parallel and share the global one
        var labels = tensor(new long[] { 0, 9, 3, 3, 1 });
        var soft = Mixup.SoftTargetCrossEntropy(logits, nn.functional.one_hot(labels, 10).to(ScalarType.Float32));
        Assert.Equal(nn.functional.cross_entropy(logits, labels).item<float>(), soft.item<float>(), 5);
    }

    [Fact]
    public void An_odd_batch_or_no_mixing_at_all_is_refused_with_a_reason()
    {
        using var scope = NewDisposeScope();
        var odd = Assert.Throws<ArgumentException>(() => Mixup.Official.Apply(rand(5, 1, 8, 8), tensor(new long[] { 0, 1, 2, 3, 4 }), 10, new Generator(0)));
        Assert.Contains("even batch", odd.Message);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => new Mixup { MixupAlpha = 0, CutmixAlpha = 0 }.Validate()).Message);
        var encoder = new VisionTransformer(new VitConfig { ImageSize = 8, PatchSize = 4, Channels = 1, Width = 16, Depth = 1, Heads = 2 });
        var images = rand(6, 1, 8, 8);
        var fine = Assert.Throws<ArgumentException>(() => FineTuning.Run(encoder, images, tensor(new long[] { 0, 1, 0, 1, 0, 1 }), images,
            tensor(new long[] { 0, 1, 0, 1, 0, 1 }), 2, FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 3 }, mixup: Mixup.Official));
        Assert.Contains("even batch size", fine.Message);
    }

    [Fact]
    public void Fine_tuning_with_mixup_runs_and_repeats_under_a_seed()
    {
        using var scope = NewDisposeScope();
        var encoder = new VisionTransformer(new VitConfig { ImageSize = 8, PatchSize = 4, Channels = 1, Width = 16, Depth = 1, Heads = 2 });
        var images = rand(16, 1, 8, 8, generator: new Generator(2));
        var labels = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 2)).ToArray());
        var config = FineTuning.DefaultConfig with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0 };
        var a = FineTuning.Run(encoder, images, labels, images, labels, 2, config, mixup: Mixup.Official);
        var b = FineTuning.Run(encoder, images, labels, images, labels, 2, config, mixup: Mixup.Official);
        var plain = FineTuning.Run(encoder, images, labels, images, labels, 2, config);
        Assert.Equal(a.Steps.Select(s => s.Loss), b.Steps.Select(s => s.Loss));
        Assert.NotEqual(a.Steps.Select(s => s.Loss), plain.Steps.Select(s => s.Loss));
    }
}
