using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.MultiViewMae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class MultiViewMaeTests
{
    static MultiViewMaeConfig Tiny(double lambda = 2.0, bool twoTargets = true) => new()
    {
        Mae = new MaeConfig
        {
            Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Channels = 1, Width = 32, Depth = 2, Heads = 4 },
            DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2, MaskRatio = 0.75,
        },
        ContrastiveWeight = lambda, TwoTargets = twoTargets,
    };

    [Fact]
    public void Nt_xent_matches_a_hand_computed_case()
    {
        using var scope = NewDisposeScope();
        // two images, both views identical and orthogonal between images: for every anchor the positive has
        // cosine 1, the two negatives cosine 0, so ℓ = −log(e^{1/τ} / (e^{1/τ} + 2)) = log(1 + 2 e^{−1/τ})
        var z = tensor(new float[] { 1, 0, 0, 1 }, new long[] { 2, 2 });
        Assert.Equal(Math.Log(1 + 2 / Math.E), MultiViewMaskedAutoencoder.NtXent(z, z * 3, 1.0).item<float>(), 5);
        Assert.Equal(Math.Log(1 + 2 * Math.Exp(-2)), MultiViewMaskedAutoencoder.NtXent(z, z, 0.5).item<float>(), 5);

        // views at 90°, τ = 1: z1 = (e1, e2), z2 = (e2, −e1). Anchor e1: positive e2 (cos 0) against e2 (0) and −e1 (−1):
        // log(2 + e^{−1}). Anchor e2: positive −e1 (0) against e1 (0) and e2 (1): log(2 + e). The view-2 anchors mirror
        // these, so the mean is (log(2 + e^{−1}) + log(2 + e)) / 2
        var z2 = tensor(new float[] { 0, 1, -1, 0 }, new long[] { 2, 2 });
        Assert.Equal((Math.Log(2 + Math.Exp(-1)) + Math.Log(2 + Math.E)) / 2, MultiViewMaskedAutoencoder.NtXent(z, z2, 1.0).item<float>(), 5);
    }

    [Fact]
    public void Swapping_the_views_leaves_the_loss_unchanged()
    {
        using var scope = NewDisposeScope();
        using var model = Seeds.Build(0, () => new MultiViewMaskedAutoencoder(Tiny()));
        var v1 = rand(4, 1, 16, 16, generator: new Generator(1));
        var v2 = rand(4, 1, 16, 16, generator: new Generator(2));
        var n1 = rand(4, 16, generator: new Generator(3));
        var n2 = rand(4, 16, generator: new Generator(4));
        var a = model.Forward(v1, v2, n1, n2);
        var b = model.Forward(v2, v1, n2, n1);
        Assert.Equal(a.Loss.item<float>(), b.Loss.item<float>(), 5);
        Assert.Equal(a.ContrastiveLoss.item<float>(), b.ContrastiveLoss.item<float>(), 5);
        Assert.Equal(a.ReconstructionLoss.item<float>(), b.ReconstructionLoss.item<float>(), 5);
        Assert.Equal(a.ReconstructionLoss.item<float>() + 2 * a.ContrastiveLoss.item<float>(), a.Loss.item<float>(), 4);

        // L_r is the mean of the two views' MAE losses
        var r1 = model.Mae.Forward(v1, n1).Loss.item<float>();
        var r2 = model.Mae.Forward(v2, n2).Loss.item<float>();
        Assert.Equal((r1 + r2) / 2, a.ReconstructionLoss.item<float>(), 4);
    }

    [Fact]
    public void The_weights_are_the_maes_under_its_names()
    {
        using var model = Seeds.Build(0, () => new MultiViewMaskedAutoencoder(Tiny()));
        using var mae = new MaskedAutoencoder(Tiny().Mae);
        Assert.Equal(mae.state_dict().Keys.OrderBy(k => k), model.state_dict().Keys.OrderBy(k => k));
    }

    [Fact]
    public void Without_contrast_the_loss_is_the_reconstruction_and_training_is_repeatable()
    {
        using var scope = NewDisposeScope();
        var images = rand(32, 1, 16, 16, generator: new Generator(9));
        List<double> Curve(MultiViewMaeConfig config, int seed)
        {
            using var model = Seeds.Build(seed, () => new MultiViewMaskedAutoencoder(config));
            return MultiViewMaskedAutoencoder.Steps(model, images, new TrainConfig { Epochs = 2, BatchSize = 8, Lr = 1e-3, Seed = seed })
                .Select(s => s.Loss).ToList();
        }
        var a = Curve(Tiny(), 1);
        Assert.Equal(8, a.Count);
        Assert.Equal(a, Curve(Tiny(), 1));
        Assert.NotEqual(a, Curve(Tiny(twoTargets: false), 1));
        Assert.True(Curve(Tiny(lambda: 0), 1).Max() < a.Min()); // L_c ≈ log(2N − 1) ≈ 2.7 dominates at λ = 2

        using var model = Seeds.Build(0, () => new MultiViewMaskedAutoencoder(Tiny(lambda: 0)));
        var output = model.Forward(images[..4], images[4..8], generator: new Generator(1));
        Assert.Equal(output.ReconstructionLoss.item<float>(), output.Loss.item<float>());
    }
}
