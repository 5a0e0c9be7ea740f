using NotebookSsl.Methods.Mae;
using NotebookSsl.Masking;
using NotebookSsl.Methods.Cae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class CaeTests
{
    // 16×16 RGB images, 4×4 patches: L = 16, K = 8 visible, M = 8 masked at 50 %
    static CaeConfig Tiny(bool decoder = true, double lambda = 2.0) => new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Channels = 3, Width = 32, Depth = 2, Heads = 4 },
        RegressorDepth = 2, DecoderDepth = decoder ? 1 : 0, UseDecoder = decoder, AlignmentWeight = lambda,
    };

    static ContextAutoencoder Build(CaeConfig config, int seed = 0) => Seeds.Build(seed, () => new ContextAutoencoder(config));

    static Tensor Noise(int n, int seed = 5) => BlockMasking.Noise(n, 4, 0.5, new Generator((ulong)seed));

    [Fact]
    public void The_alignment_target_gets_no_gradient_and_the_masked_pixels_reach_the_loss_only_through_it()
    {
        using var scope = NewDisposeScope();
        using var cae = Build(Tiny());
        var images = rand(3, 3, 16, 16, generator: new Generator(1)).requires_grad_();
        var output = cae.Forward(images, Noise(3));
        Assert.False(output.TargetLatent.requires_grad);
        Assert.True(output.PredictedLatent.requires_grad);

        // the target is the same encoder on the masked patches alone
        using (no_grad())
        {
            var tokens = cae.Encoder.EmbedPatches(images);
            var maskedTokens = tokens.gather(1, output.IdsMasked.unsqueeze(-1).expand(-1, -1, 32));
            var expected = cae.Encoder.Encode(maskedTokens).Latent[.., 1..];
            Assert.True(expected.allclose(output.TargetLatent, rtol: 1e-5, atol: 1e-6));
        }

        // the whole loss: pixels of masked patches get exactly zero gradient (the target branch and the pixel
        // targets are both cut), pixels of visible patches get some
        output.Loss.backward();
        var grad = Patches.Patchify(images.grad!, 4).abs().sum(-1);        // [N, L]
        var mask = output.Mask;                                             // [N, L] 1 = masked
        Assert.Equal(0.0, (grad * mask).sum().item<float>());
        Assert.True(grad.masked_select(mask.eq(0)).min().item<float>() > 0);
    }

    [Fact]
    public void The_regressor_has_only_masked_queries_and_never_updates_the_visible_latents()
    {
        using var scope = NewDisposeScope();
        using var cae = Build(Tiny());
        var images = rand(2, 3, 16, 16, generator: new Generator(2));
        var noise = Noise(2);
        var output = cae.Forward(images, noise, returnAttention: true);
        Assert.Equal(2, output.RegressorAttention.Count);
        foreach (var map in output.RegressorAttention)
            Assert.Equal(new long[] { 2, 4, 8, 8 + 8 }, map.shape);          // queries: the 8 masked; keys: 8 visible + 8 masked
        Assert.Equal(new long[] { 2, 8, 32 }, output.PredictedLatent.shape);

        // the visible latents do not depend on the masked patches at all: change those pixels, nothing moves
        var changed = images.clone();
        var maskPixels = Patches.Unpatchify(output.Mask.unsqueeze(-1).expand(-1, -1, 48), 4, 3);   // [N, 3, 16, 16]
        changed = changed * (1 - maskPixels) + maskPixels * rand(2, 3, 16, 16, generator: new Generator(3));
        var again = cae.Forward(changed, noise, returnAttention: true);
        Assert.True(again.Latent.allclose(output.Latent));
        Assert.True(again.PredictedLatent.allclose(output.PredictedLatent)); // the prediction sees the visible latents only
        Assert.False(again.TargetLatent.allclose(output.TargetLatent));      // while the target does see the masked pixels
    }

    [Fact]
    public void The_decoder_sees_the_predicted_latents_of_masked_patches_only()
    {
        using var scope = NewDisposeScope();
        using var cae = Build(Tiny());
        var images = rand(2, 3, 16, 16, generator: new Generator(4));
        var output = cae.Forward(images, Noise(2), returnAttention: true);
        Assert.Single(output.DecoderAttention);
        Assert.Equal(new long[] { 2, 4, 8, 8 }, output.DecoderAttention[0].shape); // masked × masked, no visible token
        Assert.Equal(new long[] { 2, 8, 48 }, output.Pred.shape);

        // the decoder's only inputs are the predicted latents and the masked positions' embeddings
        var positions = PosEmbed.SinCos2D(32, 4, clsToken: false).unsqueeze(0).expand(2, -1, -1)
            .gather(1, output.IdsMasked.unsqueeze(-1).expand(-1, -1, 32));
        var (pred, _) = cae.Decode(output.PredictedLatent, positions);
        Assert.True(pred.allclose(output.Pred, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Ablations_drop_the_decoder_or_the_alignment()
    {
        using var scope = NewDisposeScope();
        var images = rand(2, 3, 16, 16, generator: new Generator(6));
        using var noDecoder = Build(Tiny(decoder: false));
        Assert.DoesNotContain(noDecoder.state_dict().Keys, k => k.StartsWith("decoder_blocks") || k.StartsWith("norm2"));
        var a = noDecoder.Forward(images, Noise(2));
        Assert.Equal(new long[] { 2, 8, 48 }, a.Pred.shape);
        Assert.Equal(a.ReconstructionLoss.item<float>() + 2 * a.AlignmentLoss.item<float>(), a.Loss.item<float>(), 4);

        using var noAlignment = Build(Tiny(lambda: 0));
        var b = noAlignment.Forward(images, Noise(2));
        Assert.Equal(b.ReconstructionLoss.item<float>(), b.Loss.item<float>());
        Assert.True(b.AlignmentLoss.item<float>() > 0);   // still measured
    }

    [Fact]
    public void Reconstruction_skipping_the_regressor_predicts_every_patch()
    {
        using var scope = NewDisposeScope();
        using var cae = Build(Tiny());
        var images = rand(2, 3, 16, 16, generator: new Generator(7));
        var pred = cae.ReconstructSkippingRegressor(images);
        Assert.Equal(new long[] { 2, 16, 48 }, pred.shape);
        var pixels = cae.ToPixels(images, pred);
        Assert.Equal(images.shape, pixels.shape);
    }

    [Fact]
    public void The_skip_reconstruction_error_is_the_mse_to_the_normalised_patches_in_any_batching()
    {
        using var scope = NewDisposeScope();
        using var cae = Build(Tiny());
        cae.train();
        var images = rand(5, 3, 16, 16, generator: new Generator(9));

        // the whole-batch MSE against the per-patch normalised pixels, however the images are batched
        var target = MaeLoss.Target(Patches.Patchify(images, 4), normPix: true);                           // [5, 16, 48]
        double whole = nn.functional.mse_loss(cae.ReconstructSkippingRegressor(images), target).item<float>();
        Assert.Equal(whole, cae.SkipReconstructionError(images), 5);
        Assert.Equal(whole, cae.SkipReconstructionError(images, batchSize: 2), 5);
        Assert.True(cae.training);                                                                          // its mode is restored

        // a decoder that predicts each patch's mean (a zero head) scores (p²C − 1) / p²C: the unbiased-std target's mean square
        using (no_grad())
            foreach (var (name, p) in cae.named_parameters().Where(p => p.name.StartsWith("head."))) p.zero_();
        Assert.Equal(47.0 / 48, cae.SkipReconstructionError(images), 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => cae.SkipReconstructionError(images, batchSize: 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_curve_and_training_lowers_the_loss()
    {
        using var scope = NewDisposeScope();
        var images = rand(64, 3, 16, 16, generator: new Generator(8));
        List<double> Curve(int seed)
        {
            using var cae = Build(Tiny(), seed);
            return ContextAutoencoder.Steps(cae, images, new TrainConfig { Epochs = 6, BatchSize = 16, Lr = 2e-3, WarmupEpochs = 1, Seed = seed })
                .Select(s => s.Loss).ToList();
        }
        var a = Curve(1);
        Assert.Equal(24, a.Count);
        Assert.Equal(a, Curve(1));
        Assert.NotEqual(a, Curve(2));
        Assert.True(a.TakeLast(4).Average() < a.Take(4).Average());
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        Assert.Throws<ArgumentException>(() => new ContextAutoencoder(Tiny() with { MaskRatio = 0.0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextAutoencoder(Tiny() with { MaskRatio = 1.0 }));
        Assert.Throws<ArgumentException>(() => new ContextAutoencoder(Tiny() with { RegressorDepth = 0 }));
        using var cae = Build(Tiny());
        var e = Assert.Throws<ArgumentException>(() => cae.Forward(zeros(2, 1, 16, 16)));
        Assert.Contains("[2, 1, 16, 16]", e.Message);
    }
}
