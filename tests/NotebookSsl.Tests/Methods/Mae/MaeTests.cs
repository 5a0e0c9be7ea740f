using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.Mae;

public class MaeTests
{
    static MaeConfig Tiny(DecoderKind decoder = DecoderKind.Transformer) => new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Channels = 3, Width = 32, Depth = 2, Heads = 4 },
        Decoder = decoder, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2, MaskRatio = 0.75,
    };

    [Fact]
    public void Parameter_names_are_the_official_ones()
    {
        using var mae = new MaskedAutoencoder(Tiny());
        var names = mae.state_dict().Keys.ToHashSet();
        string[] expected =
        {
            "patch_embed.proj.weight", "patch_embed.proj.bias", "cls_token", "pos_embed",
            "blocks.0.norm1.weight", "blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias",
            "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias", "blocks.0.norm2.weight", "blocks.0.norm2.bias",
            "blocks.0.mlp.fc1.weight", "blocks.0.mlp.fc1.bias", "blocks.0.mlp.fc2.weight", "blocks.0.mlp.fc2.bias",
            "blocks.1.attn.qkv.weight", "norm.weight", "norm.bias",
            "decoder_embed.weight", "decoder_embed.bias", "mask_token", "decoder_pos_embed",
            "decoder_blocks.0.attn.qkv.weight", "decoder_blocks.0.mlp.fc2.bias", "decoder_norm.weight", "decoder_norm.bias",
            "decoder_pred.weight", "decoder_pred.bias",
        };
        foreach (var name in expected) Assert.Contains(name, names);
        Assert.Equal(2 * 12 + 6 + 12 + 8, names.Count); // nothing else: 2 encoder blocks + 6, 1 decoder block + 8
        Assert.False(mae.state_dict()["pos_embed"].requires_grad);
        Assert.False(mae.state_dict()["decoder_pos_embed"].requires_grad);
    }

    [Fact]
    public void Norm_pix_loss_matches_a_hand_computed_case()
    {
        using var scope = NewDisposeScope();
        // two patches of four values; only the second is masked
        var patches = tensor(new float[] { 1, 2, 3, 4, 2, 4, 6, 8 }, new long[] { 1, 2, 4 });
        var pred = zeros(1, 2, 4);
        var mask = tensor(new float[] { 0, 1 }, new long[] { 1, 2 });

        // plain: mean of squares of (2, 4, 6, 8) = 120 / 4 = 30
        Assert.Equal(30.0, MaeLoss.Compute(pred, patches, mask, normPix: false).item<float>(), 4);

        // norm-pix: patch (2,4,6,8) has mean 5, unbiased variance 20/3; the target is (x-5)/sqrt(20/3+1e-6),
        // so the squared error averages to (9+1+1+9)/4 / (20/3 + 1e-6) = 5 / (20/3 + 1e-6)
        double expected = 5.0 / (20.0 / 3.0 + 1e-6);
        Assert.Equal(expected, MaeLoss.Compute(pred, patches, mask, normPix: true).item<float>(), 4);
    }

    [Fact]
    public void Patchify_round_trips_and_orders_rows_columns_channels()
    {
        using var scope = NewDisposeScope();
        var images = rand(2, 3, 8, 8);
        var patches = Patches.Patchify(images, 4);
        Assert.Equal(new long[] { 2, 4, 48 }, patches.shape);
        // patch 1 is the top-right block; its value (p=0, q=1, c=2) is images[:, 2, 0, 5]
        Assert.Equal(images[0, 2, 0, 5].item<float>(), patches[0, 1, 1 * 3 + 2].item<float>());
        Assert.True(Patches.Unpatchify(patches, 4, 3).eq(images).all().item<bool>());
    }

    [Theory]
    [InlineData(DecoderKind.Transformer)]
    [InlineData(DecoderKind.WeightedAverage)]
    [InlineData(DecoderKind.Conv)]
    public void Every_decoder_predicts_every_patch(DecoderKind kind)
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Tiny(kind));
        var output = mae.Forward(rand(2, 3, 16, 16), generator: new Generator(seed: 1));
        Assert.Equal(new long[] { 2, 16, 48 }, output.Pred.shape);
        Assert.Equal(new long[] { 2, 1 + 4, 32 }, output.Latent.shape);
        Assert.True(float.IsFinite(output.Loss.item<float>()));
        output.Loss.backward();
        Assert.All(mae.parameters().Where(p => p.requires_grad), p => Assert.NotNull(p.grad));
    }

    [Theory]
    [InlineData(DecoderKind.WeightedAverage)]
    [InlineData(DecoderKind.Conv)]
    public void Local_decoders_see_only_a_5x5_window(DecoderKind kind)
    {
        using var scope = NewDisposeScope();
        var config = Tiny(kind) with { Encoder = Tiny().Encoder with { ImageSize = 32 } }; // 8×8 grid; the decoder is fed all L tokens below
        using var mae = new MaskedAutoencoder(config);
        int g = 8, l = g * g;

        // the latent as a leaf, decoded with identity order; take the gradient of one output position
        var latent = randn(1, 1 + l, 32, generator: new Generator(1)).requires_grad_(true);
        var ids = arange(l).unsqueeze(0);
        int row = 2, col = 5;
        var pred = mae.Decoder.Forward(latent, ids).Pred;          // [1, L, p²C]
        pred[0, row * g + col].sum().backward();
        var grad = latent.grad![0, 1.., ..].abs().sum(1).data<float>().ToArray(); // [L]

        for (int t = 0; t < l; t++)
        {
            bool inside = Math.Abs(t / g - row) <= 2 && Math.Abs(t % g - col) <= 2;
            if (inside) Assert.True(grad[t] > 0, $"token {t} inside the window has no influence");
            else Assert.Equal(0f, grad[t]);
        }
    }

    [Fact]
    public void Attention_maps_come_back_without_a_second_pass()
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Tiny());
        var output = mae.Forward(rand(2, 3, 16, 16), generator: new Generator(seed: 1), returnAttention: true);
        Assert.Equal(2, output.EncoderAttention.Count);
        Assert.Equal(new long[] { 2, 4, 5, 5 }, output.EncoderAttention[0].shape);
        Assert.Single(output.DecoderAttention);
        Assert.Equal(new long[] { 2, 2, 17, 17 }, output.DecoderAttention[0].shape);
        Assert.True(output.DecoderAttention[0].sum(-1).sub(1).abs().max().item<float>() < 1e-5);

        // the fused kernel (no maps) gives the same loss
        var plain = mae.Forward(rand(2, 3, 16, 16, generator: new Generator(seed: 5)), generator: new Generator(seed: 1));
        var withMaps = mae.Forward(rand(2, 3, 16, 16, generator: new Generator(seed: 5)), generator: new Generator(seed: 1), returnAttention: true);
        Assert.InRange(plain.Loss.item<float>() - withMaps.Loss.item<float>(), -1e-5f, 1e-5f);
    }

    [Theory]
    [InlineData(30, 4, "does not divide")]
    [InlineData(16, 4, "Channels")]
    public void Bad_configs_name_the_problem(int image, int patch, string words)
    {
        var encoder = new VitConfig { ImageSize = image, PatchSize = patch, Channels = words == "Channels" ? 2 : 1 };
        var e = Assert.Throws<ArgumentException>(() => new MaskedAutoencoder(new MaeConfig { Encoder = encoder }));
        Assert.Contains(words, e.Message);
    }

    [Fact]
    public void Images_of_the_wrong_shape_are_refused_before_libtorch_sees_them()
    {
        using var scope = NewDisposeScope();
        using var mae = new MaskedAutoencoder(Tiny());
        var e = Assert.Throws<ArgumentException>(() => mae.Forward(rand(2, 1, 16, 16)));
        Assert.Contains("[N, 3, 16, 16]", e.Message);
    }

    [Fact]
    public void Unmasked_loss_draws_no_mask_and_training_on_it_lowers_it()
    {
        using var mae = NotebookSsl.Training.Seeds.Build(0, () => new MaskedAutoencoder(Tiny() with { NormPixLoss = false }));
        var images = rand(16, 3, 16, 16, generator: new Generator(2));
        double Loss() { using var _ = no_grad(); return MaePretraining.UnmaskedLoss(mae, images).item<float>(); }
        var before = Loss();
        Assert.Equal(before, Loss());   // no random mask: the same images give the same loss
        var train = new NotebookSsl.Training.TrainConfig { Epochs = 20, BatchSize = 16, Lr = 1e-3, WarmupEpochs = 0 };
        var steps = MaePretraining.UnmaskedSteps(mae, images, train).ToList();
        Assert.Equal(20, steps.Count);
        Assert.True(Loss() < 0.8 * before, $"the autoencoder's loss went from {before} to {Loss()}");
    }
}
