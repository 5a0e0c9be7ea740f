using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.RMae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class RMaeTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 2, Width = 16, Depth = 1, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    };

    [Fact]
    public void ScoredMseMatchesAHandComputedCase()
    {
        using var scope = NewDisposeScope();
        // one image, 3 patches of 2 values; patches 0 and 2 scored
        var a = tensor(new float[] { 1, 2, 0, 0, 3, 3 }, new long[] { 1, 3, 2 });
        var b = tensor(new float[] { 0, 0, 5, 5, 1, 3 }, new long[] { 1, 3, 2 });
        var scored = tensor(new float[] { 1, 0, 1 }, new long[] { 1, 3 });
        // patch 0: (1 + 4)/2 = 2.5; patch 2: (4 + 0)/2 = 2 → mean 2.25
        Assert.Equal(2.25, RelaxedMae.ScoredMse(a, b, scored).item<float>(), 6);
    }

    [Theory]
    [InlineData(RMaeTarget.Complement)]
    [InlineData(RMaeTarget.RandomMask)]
    [InlineData(RMaeTarget.Identity)]
    public void TheSecondViewAndTheScoredPatchesFollowTheVariant(RMaeTarget t2)
    {
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(Tiny));
        var images = rand(4, 1, 8, 8, generator: new Generator(1));
        var output = RelaxedMae.Forward(mae, images, new RMaeConfig { T2 = t2 }, new Generator(2));
        Assert.Equal(12, (int)output.Mask1[0].sum().item<float>());                 // 75 % of 16 removed from view 1
        switch (t2)
        {
            case RMaeTarget.Complement:
                Assert.True((output.Mask1 + output.Mask2).eq(1).all().item<bool>()); // view 2 sees what view 1 lost
                Assert.True(output.Scored.eq(output.Mask1).all().item<bool>());
                break;
            case RMaeTarget.RandomMask:
                Assert.Equal(4, (int)output.Mask2[0].sum().item<float>());          // 25 % of 16
                Assert.True(output.Scored.eq(output.Mask1 * (1 - output.Mask2)).all().item<bool>());
                break;
            default:
                Assert.Equal(0, output.Mask2.sum().item<float>());
                Assert.True(output.Scored.eq(output.Mask1).all().item<bool>());
                break;
        }
    }

    /// <summary>
    /// R-MAE's second view keeps exactly the L − K1 patches view 1 hid: no patch hidden in both. The sizes are those where
    /// a keep count recomputed from the ratio K1 / L truncates one too few in floating point (49 at 0.55, 196 at 0.4), and
    /// block-shaped noise, whose ties the complement must not split between the views.
    /// </summary>
    [Theory]
    [InlineData(14, 0.55, MaskingKind.Random, 1)]    // L = 49: K1 = int(49 · 0.45) = 22, view 2 keeps 27
    [InlineData(28, 0.4, MaskingKind.Random, 1)]     // L = 196: K1 = int(196 · 0.6) = 117, view 2 keeps 79
    [InlineData(28, 0.4, MaskingKind.Random, 2)]     // noise per 2×2 square of tokens: ties across the cut-off
    [InlineData(28, 0.6, MaskingKind.Block, 1)]
    public void The_complement_view_hides_exactly_what_view_one_showed(int imageSize, double ratio, MaskingKind masking, int unit)
    {
        using var scope = NewDisposeScope();
        var config = Tiny with { Encoder = Tiny.Encoder with { ImageSize = imageSize }, MaskRatio = ratio, Masking = masking, MaskUnit = unit };
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(config));
        int l = config.Encoder.NumPatches;
        var output = RelaxedMae.Forward(mae, rand(3, 1, imageSize, imageSize, generator: new Generator(1)), new RMaeConfig(), new Generator(2));
        if (masking == MaskingKind.Random)
            Assert.All(Enumerable.Range(0, 3), i => Assert.Equal(l - RandomMasking.KeepCount(l, ratio), (int)output.Mask1[i].sum().item<float>()));
        Assert.Equal(0, output.Mask1.mul(output.Mask2).sum().item<float>());         // hidden in both: none
        Assert.True((output.Mask1 + output.Mask2).eq(1).all().item<bool>());          // hidden in neither: none
        Assert.True(output.Scored.eq(output.Mask1).all().item<bool>());
    }

    [Fact]
    public void LossIsDistancePlusLambdaConstraintAndBothBranchesLearn()
    {
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(Tiny));
        var images = rand(4, 1, 8, 8, generator: new Generator(1));
        var one = RelaxedMae.Forward(mae, images, new RMaeConfig { Lambda = 1 }, new Generator(3));
        var three = RelaxedMae.Forward(mae, images, new RMaeConfig { Lambda = 3 }, new Generator(3));
        Assert.Equal(one.Distance.item<float>(), three.Distance.item<float>(), 6);    // same masks, same seed
        Assert.Equal(three.Distance.item<float>() + 3 * three.Constraint.item<float>(), three.Loss.item<float>(), 5);
        // the distance term alone sends gradient into the encoder through both branches (no stop-gradient in Eq. 8)
        one.Distance.backward();
        var qkv = mae.named_parameters().Single(np => np.name == "blocks.0.attn.qkv.weight").parameter;
        Assert.True(qkv.grad is not null && qkv.grad.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void StepsReplayWithTheSameSeed()
    {
        double[] Run()
        {
            using var mae = Seeds.Build(2, () => new MaskedAutoencoder(Tiny));
            var images = rand(16, 1, 8, 8, generator: new Generator(5));
            return RelaxedMae.Steps(mae, images, new RMaeConfig { T2 = RMaeTarget.RandomMask },
                new TrainConfig { Epochs = 1, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0, Seed = 2 }).Select(s => s.Loss).ToArray();
        }
        var a = Run();
        Assert.Equal(2, a.Length);
        Assert.Equal(a, Run());
    }

    [Fact]
    public void BadSettingsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new RMaeConfig { Lambda = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new RMaeConfig { T2MaskRatio = 1 }.Validate());
    }
}
