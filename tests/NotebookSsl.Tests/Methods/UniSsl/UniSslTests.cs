using NotebookSsl.Data;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Models;
using NotebookSsl.Tests.Methods.Dino;
using NotebookSsl.Training;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.UniSsl;

public class UniSslTests
{
    static readonly UniSslConfig Tiny = new() { Dino = DinoTests.Tiny, Points = 3, WindowTokens = 3 };

    [Fact]
    public void Unfold_target_at_one_token_is_the_patch()
    {
        using var scope = NewDisposeScope();
        var x = rand(2, 3, 8, 8, generator: new Generator(1));
        var target = UniSslModel.UnfoldTargets(x, patchSize: 2, windowTokens: 1);    // [2, 16, 12]
        Assert.Equal([2, 16, 12], target.shape);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
            {
                var patch = x[.., .., (2 * r)..(2 * r + 2), (2 * c)..(2 * c + 2)].reshape(2, 12);   // channel-major (C, rows, columns)
                Assert.True(target[.., 4 * r + c].Same(patch), $"token ({r}, {c})");
            }
    }

    [Fact]
    public void Unfold_target_at_three_tokens_is_the_window_centred_on_the_patch_zero_outside()
    {
        using var scope = NewDisposeScope();
        var x = rand(1, 3, 8, 8, generator: new Generator(2)) + 1;                   // every pixel ≥ 1: zeros can only be padding
        var target = UniSslModel.UnfoldTargets(x, patchSize: 2, windowTokens: 3);    // [1, 16, 3·6·6]
        Assert.Equal([1, 16, 108], target.shape);
        var padded = nn.functional.pad(x, [2, 2, 2, 2]);                            // [1, 3, 12, 12]
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
            {
                // token (r, c) covers rows 2r..2r+1; its window rows 2r−2..2r+3, i.e. padded rows 2r..2r+5
                var window = padded[0, .., (2 * r)..(2 * r + 6), (2 * c)..(2 * c + 6)].reshape(108);
                Assert.True(target[0, 4 * r + c].Same(window), $"token ({r}, {c})");
            }
        // an inner token's window holds no padding; its centre 2×2 block is the token's own patch
        var inner = target[0, 4 * 1 + 2].reshape(3, 6, 6);
        Assert.True(inner.min().item<float>() >= 1);
        Assert.True(inner[.., 2..4, 2..4].Same(x[0, .., 2..4, 4..6]));
        // a corner token's window reaches past the image: zeros there
        Assert.Equal(0f, target[0, 0].reshape(3, 6, 6)[.., 0..2, ..].abs().sum().item<float>());
    }

    [Fact]
    public void Sampling_at_token_centres_reads_those_tokens()
    {
        using var scope = NewDisposeScope();
        const int g = 4;
        // token (r, c) holds (r, c); a cls token in front holds junk
        var values = new float[(1 + g * g) * 2];
        values[0] = 99; values[1] = 99;
        for (int i = 0; i < g * g; i++) { values[2 + 2 * i] = i / g; values[3 + 2 * i] = i % g; }
        var tokens = tensor(values, [1, 1 + g * g, 2]);
        // the centre of token (r, c) is x = (2c + 1)/g − 1, y = (2r + 1)/g − 1 (align_corners false)
        int[][] picks = [[0, 0], [3, 1], [2, 2], [1, 3]];
        var grid = tensor(picks.SelectMany(p => new[] { (2f * p[1] + 1) / g - 1, (2f * p[0] + 1) / g - 1 }).ToArray(), [1, 2, 2, 2]);
        var sampled = UniSslModel.SampleTokens(tokens, grid);                          // [4, 2]
        var expected = tensor(picks.SelectMany(p => new float[] { p[0], p[1] }).ToArray(), [4, 2]);
        Assert.True(sampled.allclose(expected, atol: 1e-6), sampled.ToString(TorchSharp.TensorStringStyle.Numpy));
    }

    [Fact]
    public void Sampled_token_pairs_come_from_the_same_image_point()
    {
        // a 'backbone output' that is the view's pixels average-pooled per token: a token holds the source coordinates of
        // its patch centre, so sampling both views' token maps at their grids must give the same coordinates, flips included
        using var scope = NewDisposeScope();
        const int size = 32, p = 4, k = 3;
        var h = 32; var w = 32;
        var rows = (arange(h, dtype: ScalarType.Float32) + 0.5f).view(h, 1).expand(h, w);
        var cols = (arange(w, dtype: ScalarType.Float32) + 0.5f).view(1, w).expand(h, w);
        var x = stack([rows, cols, zeros(h, w)], 0).unsqueeze(0).expand(16, -1, -1, -1).contiguous() / 32;   // [16, 3, 32, 32]
        using var pair = new TwoViews(new ViewAugmentation(size, ScaleMin: 0.25)).Apply(x, seed: 5);
        Tensor TokenMap(Tensor view) =>
            cat([zeros(16, 1, 3), nn.functional.avg_pool2d(view, p).flatten(2).transpose(1, 2)], 1); // [16, 1+g², 3]
        var a = UniSslModel.SampleTokens(TokenMap(pair.View1), pair.Grid(1, k)) * 32;           // [16·K², 3]
        var b = UniSslModel.SampleTokens(TokenMap(pair.View2), pair.Grid(2, k)) * 32;
        // the token grid is coarser than the pixels: interpolating between token centres is exact for a linear image
        // except within half a token of a view's edge (border padding); allow a token's width there
        var error = (a - b).abs()[.., ..2].max().item<float>();
        Assert.True(error < p * 32.0 / size, $"max disagreement {error} px");
        Assert.Contains(pair.Flipped1.Zip(pair.Flipped2), f => f.First != f.Second);
        var interior = (a - b).abs()[.., ..2].median().item<float>();
        Assert.True(interior < 0.05, $"median disagreement {interior} px");
    }

    [Fact]
    public void Loss_reaches_student_and_predictor_not_teacher_and_repeats_by_seed()
    {
        using var scope = NewDisposeScope();
        var images = rand(4, 1, 16, 16, generator: new Generator(3));
        using var model = Seeds.Build(2, () => new UniSslModel(Tiny));
        var losses = model.Forward(images, new Generator(9));
        losses.Loss.backward();
        Assert.True(double.IsFinite(losses.Loss.item<float>()));
        Assert.Equal(losses.Loss.item<float>(), losses.Sim.item<float>() + losses.Pixel.item<float>(), 4);
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Contains("pixel_pred.weight", named.Keys);
        Assert.Equal(Tiny.TargetDim, named["pixel_pred.weight"].shape[0]);
        Assert.Equal(1 * 12 * 12, Tiny.TargetDim);
        foreach (var name in new[] { "student.backbone.blocks.0.attn.qkv.weight", "student.head.mlp.0.weight", "student.backbone.patch_embed.proj.weight", "pixel_pred.weight" })
            Assert.True(named[name].grad is { } gr && gr.abs().sum().item<float>() > 0, $"no gradient at {name}");
        Assert.All(named.Where(p => p.Key.StartsWith("teacher.")), p => Assert.True(p.Value.grad is null, p.Key));

        using var again = Seeds.Build(2, () => new UniSslModel(Tiny));
        Assert.Equal(losses.Loss.item<float>(), again.Forward(images, new Generator(9)).Loss.item<float>());

        // Eq. 11 literally (one direction) is a different loss of the same views
        using var oneWay = Seeds.Build(2, () => new UniSslModel(Tiny with { Symmetric = false }));
        Assert.NotEqual(losses.Sim.item<float>(), oneWay.Forward(images, new Generator(9)).Sim.item<float>());
    }

    [Fact]
    public void Teacher_moves_only_by_ema()
    {
        using var scope = NewDisposeScope();
        using var model = Seeds.Build(1, () => new UniSslModel(Tiny));
        var images = rand(16, 1, 16, 16, generator: new Generator(2));
        var train = DinoConfig.DefaultTrain with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3, Seed = 1 };
        var parts = new List<(double, double)>();
        DinoTests.TeacherMovesOnlyByEma(model, model.Teacher, model.Student, model.Steps(images, train, (s, p) => parts.Add((s, p))), 4, Tiny.Dino.TeacherMomentum);
        Assert.Equal(4, parts.Count);
    }

    [Fact]
    public void Config_rejects_an_even_window()
    {
        Assert.Throws<ArgumentException>(() => (Tiny with { WindowTokens = 2 }).Validate());
        Assert.Throws<ArgumentException>(() => (Tiny with { Points = 0 }).Validate());
    }
}
