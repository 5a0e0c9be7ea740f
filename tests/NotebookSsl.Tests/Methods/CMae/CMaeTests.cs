using NotebookSsl.Methods.CMae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class CMaeTests
{
    static readonly CMaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 2, Width = 16, Depth = 1, Heads = 2 }, HiddenDim = 16, Dim = 8, MaskRatio = 0.75,
    };

    [Fact]
    public void MaskTokensEnterAtMaskedPositionsOnly()
    {
        using var cmae = Seeds.Build(0, () => new ContrastiveMae(Tiny));
        var images = rand(3, 1, 8, 8, generator: new Generator(1));
        var (mask, _) = cmae.Masks(rand(3, 16, generator: new Generator(2)));
        var embedded = cmae.Online.EmbedWithMaskTokens(images, mask);             // [3, 16, 16]
        var plain = cmae.Encoder.EmbedPatches(images);                            // [3, 16, 16]
        var maskToken = cmae.Online.named_parameters().Single(np => np.name == "mask_token").parameter;
        var position = NotebookSsl.Models.PosEmbed.SinCos2D(16, 4, clsToken: false);
        for (int i = 0; i < 3; i++)
            for (int t = 0; t < 16; t++)
            {
                var expected = mask[i, t].item<float>() == 1 ? maskToken[0, 0] + position[t] : plain[i, t];
                Assert.True(embedded[i, t].allclose(expected, 1e-5, 1e-6), $"image {i} token {t}");
            }
        Assert.Equal(12, (int)mask[0].sum().item<float>());
    }

    [Fact]
    public void TheTwoViewsAreComplementary()
    {
        using var cmae = Seeds.Build(0, () => new ContrastiveMae(Tiny));
        var (m1, m2) = cmae.Masks(rand(5, 16, generator: new Generator(3)));
        Assert.True((m1 + m2).eq(1).all().item<bool>());
        using var noMask = new ContrastiveMae(Tiny with { Masking = false });
        var (z1, z2) = noMask.Masks(rand(5, 16));
        Assert.Equal(0, (z1.sum() + z2.sum()).item<float>());
    }

    [Theory]
    [InlineData(CMaeTokens.Cls, CMaeLoss.InfoNce, true)]
    [InlineData(CMaeTokens.MeanToken, CMaeLoss.InfoNce, true)]
    [InlineData(CMaeTokens.Tokens, CMaeLoss.InfoNce, true)]
    [InlineData(CMaeTokens.TokensAndCls, CMaeLoss.Byol, true)]
    [InlineData(CMaeTokens.Tokens, CMaeLoss.InfoNce, false)]
    public void TheTargetBranchGetsNoGradient(CMaeTokens tokens, CMaeLoss loss, bool maskTokens)
    {
        using var cmae = Seeds.Build(0, () => new ContrastiveMae(Tiny with { Tokens = tokens, Loss = loss, MaskTokens = maskTokens, CutMix = true }));
        var images = rand(4, 1, 8, 8, generator: new Generator(1));
        var value = cmae.Forward(images, new Generator(7));
        Assert.True(double.IsFinite(value.item<float>()));
        value.backward();
        foreach (var (name, p) in cmae.named_parameters())
        {
            if (name.StartsWith("target."))
            {
                Assert.False(p.requires_grad, name);
                Assert.True(p.grad is null, name);
            }
            else if (name.StartsWith("online.encoder.blocks.0.attn.qkv.") || name.StartsWith("predictor.0.") || name == "online.mask_token")
                Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, name);
        }
    }

    [Fact]
    public void TokenWiseLossComparesEveryPatchToken()
    {
        using var tokens = Seeds.Build(0, () => new ContrastiveMae(Tiny));
        using var withCls = new ContrastiveMae(Tiny with { Tokens = CMaeTokens.TokensAndCls });
        var g = new Generator(4);
        var q = randn(4, 17, 8, generator: g);
        var k = randn(4, 17, 8, generator: g);
        double patch = tokens.Similarity(q, k).item<float>();
        double cls = NotebookSsl.Methods.MocoV3.Contrastive.InfoNce(q[.., 0], k[.., 0], 0.2).item<float>();
        Assert.Equal((16 * patch + cls) / 17, withCls.Similarity(q, k).item<float>(), 5);
    }

    [Fact]
    public void StepsMoveTheTargetByEma()
    {
        using var cmae = Seeds.Build(1, () => new ContrastiveMae(Tiny with { Momentum = 0.5 }));
        var target = cmae.named_parameters().Single(np => np.name == "target.encoder.blocks.0.mlp.fc1.weight").parameter;
        var before = target.clone();
        var images = rand(16, 1, 8, 8, generator: new Generator(5));
        var losses = ContrastiveMae.Steps(cmae, images, new TrainConfig { Epochs = 1, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0 }).Select(s => s.Loss).ToArray();
        Assert.Equal(2, losses.Length);
        Assert.False(target.eq(before).all().item<bool>());
    }
}
