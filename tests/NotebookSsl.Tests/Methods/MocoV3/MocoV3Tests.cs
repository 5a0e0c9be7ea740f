using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class MocoV3Tests
{
    static readonly MocoV3Config Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 }, Dim = 8, MlpDim = 16,
    };

    [Fact]
    public void MlpsHaveTheOfficialLayout()
    {
        using var moco = Seeds.Build(0, () => new MoCo(Tiny));
        var names = moco.state_dict().Keys.ToHashSet();
        // builder.py: base_encoder.head = 3-layer MLP (Linear no bias, BN, ReLU, ..., Linear, BN affine=False)
        Assert.Contains("base_encoder.head.0.weight", names);
        Assert.DoesNotContain("base_encoder.head.0.bias", names);
        Assert.Contains("base_encoder.head.1.weight", names);
        Assert.Contains("base_encoder.head.6.weight", names);            // the third Linear
        Assert.Contains("base_encoder.head.7.running_mean", names);
        Assert.DoesNotContain("base_encoder.head.7.weight", names);      // last BN without affine
        Assert.Contains("predictor.3.weight", names);                    // 2 layers: Linear, BN, ReLU, Linear, BN
        Assert.Contains("momentum_encoder.blocks.0.attn.qkv.weight", names);
        Assert.Contains("base_encoder.cls_token", names);
    }

    [Fact]
    public void OnlyTheBaseBranchGetsGradients()
    {
        using var moco = Seeds.Build(0, () => new MoCo(Tiny));
        var x1 = rand(4, 1, 8, 8, generator: new Generator(1));
        var x2 = rand(4, 1, 8, 8, generator: new Generator(2));
        moco.forward(x1, x2).backward();
        foreach (var (name, p) in moco.named_parameters())
        {
            if (name.StartsWith("momentum_encoder."))
            {
                Assert.False(p.requires_grad, name);
                Assert.True(p.grad is null, name);
            }
            else if (name.StartsWith("base_encoder.patch_embed.") || name.EndsWith("pos_embed"))
                Assert.True(p.grad is null, name);                        // stop-grad patch projection; fixed position embedding
            else if (name.StartsWith("base_encoder.blocks.0.attn.qkv.") || name.StartsWith("predictor.0."))
                Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, name);
        }
    }

    [Fact]
    public void MomentumEncoderStartsAsACopyAndMovesByEma()
    {
        using var moco = Seeds.Build(0, () => new MoCo(Tiny));
        var p = moco.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        var b = p["base_encoder.blocks.0.mlp.fc1.weight"];
        var m = p["momentum_encoder.blocks.0.mlp.fc1.weight"];
        Assert.True(b.eq(m).all().item<bool>());
        using (no_grad()) b.add_(1.0);
        var before = m.clone();
        moco.UpdateMomentumEncoder(0.9);
        Assert.True(m.allclose(before * 0.9 + b * 0.1, 1e-5, 1e-6));
    }

    [Fact]
    public void StepsTrainAndReplayWithTheSameSeed()
    {
        double[] Run()
        {
            using var moco = Seeds.Build(3, () => new MoCo(Tiny));
            var images = rand(16, 1, 8, 8, generator: new Generator(5));
            var train = new TrainConfig { Epochs = 1, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0, Seed = 3 };
            return MoCo.Steps(moco, images, train).Select(s => s.Loss).ToArray();
        }
        var a = Run();
        Assert.Equal(2, a.Length);
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(a, Run());
    }
}
