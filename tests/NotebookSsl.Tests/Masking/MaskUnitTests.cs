using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Masking;

/// <summary>Random masking in unit×unit squares of tokens (MaeConfig.MaskUnit): whole squares go, one may be split at the cut.</summary>
public class MaskUnitTests
{
    [Theory]
    [InlineData(14, 2, 0.75)]
    [InlineData(14, 7, 0.5)]
    [InlineData(8, 4, 0.6)]
    public void Whole_squares_are_removed_but_for_at_most_one_and_the_count_is_the_official_one(int grid, int unit, double ratio)
    {
        using var scope = NewDisposeScope();
        int l = grid * grid, n = 16;
        var noise = MaskNoise.Draw(MaskingKind.Random, n, grid, ratio, new Generator(5), unit);      // [N, L]
        var tokens = arange(l, dtype: ScalarType.Float32).reshape(1, l, 1).expand(n, l, 1);
        var mask = RandomMasking.Apply(tokens, ratio, noise).Mask.reshape(n, grid / unit, unit, grid / unit, unit); // 1 = removed
        var perSquare = mask.sum([2, 4]);                                                           // [N, g/u, g/u] removed tokens per square
        var split = ((perSquare > 0) & (perSquare < unit * unit)).sum(new long[] { 1, 2 });        // [N] squares neither whole nor empty
        Assert.True((split <= 1).all().item<bool>());
        Assert.True((mask.sum([1, 2, 3, 4]) == l - RandomMasking.KeepCount(l, ratio)).all().item<bool>());
    }

    [Fact]
    public void A_unit_that_does_not_divide_the_grid_or_goes_with_block_masking_is_refused_by_name()
    {
        var enc = new VitConfig { ImageSize = 28, PatchSize = 2, Channels = 1, Width = 32, Depth = 1, Heads = 2 };
        Assert.Contains("divide the 14×14", Assert.Throws<ArgumentException>(() => new MaeConfig { Encoder = enc, MaskUnit = 3 }.Validate()).Message);
        Assert.Contains("random masking", Assert.Throws<ArgumentException>(() => new MaeConfig { Encoder = enc, MaskUnit = 2, Masking = MaskingKind.Block }.Validate()).Message);
        Assert.Contains("divide", Assert.Throws<ArgumentException>(() => MaskNoise.Draw(MaskingKind.Random, 1, 14, 0.75, null, 4)).Message);
    }

    [Fact]
    public void Unit_one_is_plain_random_masking_draw_for_draw()
    {
        using var scope = NewDisposeScope();
        var a = MaskNoise.Draw(MaskingKind.Random, 3, 7, 0.75, new Generator(9));
        var b = MaskNoise.Draw(MaskingKind.Random, 3, 7, 0.75, new Generator(9), unit: 1);
        Assert.True((a == b).all().item<bool>());
    }
}
