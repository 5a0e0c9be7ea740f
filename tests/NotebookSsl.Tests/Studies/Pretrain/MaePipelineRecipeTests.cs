using NotebookSsl.Data;
using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Pretrain;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies.Pretrain;

/// <summary>The main job's recipes for the two token grids (issue 9's recipe search chose the 14×14 one).</summary>
public class MaePipelineRecipeTests
{
    [Theory]
    [InlineData(RunSize.Smoke)]
    [InlineData(RunSize.Quick)]
    [InlineData(RunSize.Full)]
    public void The_14x14_recipe_is_the_7x7_one_with_2px_patches_masked_in_2x2_token_squares_raw_targets_and_the_conv_decoder(RunSize size)
    {
        var seven = MaePipeline.RecipeFor(size, seed: 3);
        var fourteen = MaePipeline.RecipeFor(size, seed: 3, grid: 14);
        Assert.Equal(7, seven.Mae.Encoder.GridSize);
        Assert.Equal(14, fourteen.Mae.Encoder.GridSize);
        Assert.Equal((1, MaskingKind.Random, true, DecoderKind.Transformer), (seven.Mae.MaskUnit, seven.Mae.Masking, seven.Mae.NormPixLoss, seven.Mae.Decoder));
        Assert.Equal((2, MaskingKind.Random, false, DecoderKind.Conv), (fourteen.Mae.MaskUnit, fourteen.Mae.Masking, fourteen.Mae.NormPixLoss, fourteen.Mae.Decoder));
        fourteen.Mae.Validate();
        Assert.Equal(3, fourteen.Pretrain.Seed);
        Assert.Equal(EvalProtocol.For(size).FineTune, fourteen.Protocol.FineTune);   // the notebooks' protocol
        Assert.Equal(EvalProtocol.For(size).Feature, seven.Protocol.Feature);
    }

    [Fact]
    public void The_quick_14x14_recipe_is_the_searched_one()
    {
        var r = MaePipeline.RecipeFor(RunSize.Quick, grid: 14);
        Assert.Equal((4096, 10_000, 4096), (r.TrainImages, r.TestImages, r.Protocol.FineTuneImages));
        Assert.Equal(EvalProtocol.For(RunSize.Quick), r.Protocol);
        Assert.Equal((64, 4, 4, 32), (r.Mae.Encoder.Width, r.Mae.Encoder.Depth, r.Mae.Encoder.Heads, r.Mae.DecoderWidth));
        Assert.Equal((16, 64, 2e-3), (r.Pretrain.Epochs, r.Pretrain.BatchSize, r.Pretrain.PeakLr));
    }

    [Fact]
    public void Another_grid_is_refused_with_the_ones_there_are()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => MaePipeline.RecipeFor(RunSize.Quick, grid: 28));
        Assert.Contains("7×7", e.Message);
        Assert.Contains("14×14", e.Message);
    }

    [Fact]
    public void The_smoke_14x14_job_pretrains_and_probes_against_random_init()
    {
        var smoke = MaePipeline.RecipeFor(RunSize.Smoke, grid: 14);
        var recipe = smoke with { Protocol = smoke.Protocol with { TrainImages = 128, TestImages = 64, FineTuneImages = 64 } };
        string[] classes = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        using var train = new ImageDataset(rand(128, 1, 28, 28, generator: new Generator(1)), randint(0, 10, 128, generator: new Generator(2)), classes, "noise");
        using var test = new ImageDataset(rand(64, 1, 28, 28, generator: new Generator(3)), randint(0, 10, 64, generator: new Generator(4)), classes, "noise");
        var result = MaePipeline.Run(recipe, train, test);
        Assert.All(new[] { result.Mae.FineTune, result.Mae.Linear, result.Mae.Knn, result.RandomInit.FineTune, result.RandomInit.Linear, result.RawPixels.Knn },
            a => Assert.InRange(a, 0, 1));
        Assert.True(double.IsNaN(result.RawPixels.FineTune));
        Assert.All(result.Pretraining, s => Assert.True(double.IsFinite(s.Loss)));
        Assert.Equal(2 * 128 / recipe.Pretrain.BatchSize, result.Pretraining.Count);
    }
}
