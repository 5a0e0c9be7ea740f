using NotebookSsl.Masking;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Masking;

public class MaskingTests
{
    [Theory]
    [InlineData(49, 0.75)]
    [InlineData(64, 0.6)]
    [InlineData(16, 0.9)]
    [InlineData(10, 0.8)]
    [InlineData(196, 0.3)]
    public void Keeps_int_L_times_one_minus_r_and_restores_order(int l, double ratio)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(seed: 7);
        var x = arange(l, dtype: ScalarType.Float32).reshape(1, l, 1).expand(3, -1, 2).contiguous(); // token i has value i
        var noise = rand(3, l, generator: gen);
        var m = RandomMasking.Apply(x, ratio, noise);

        int keep = (int)(l * (1 - ratio));
        Assert.Equal(new long[] { 3, keep, 2 }, m.Visible.shape);
        Assert.Equal(l - keep, m.Mask.sum(1)[0].item<float>());

        // the kept tokens are those of least noise, and the mask marks all others
        for (int i = 0; i < 3; i++)
        {
            var order = noise[i].data<float>().Select((v, j) => (v, j)).OrderBy(t => t.v).Select(t => t.j).ToArray();
            var kept = m.Visible[i, .., 0].data<float>().Select(v => (int)v).ToArray();
            Assert.Equal(order.Take(keep), kept);
            var mask = m.Mask[i].data<float>().ToArray();
            for (int j = 0; j < l; j++) Assert.Equal(kept.Contains(j) ? 0f : 1f, mask[j]);
        }

        // ids_restore undoes the shuffle
        var shuffled = x.gather(1, argsort(noise, 1).unsqueeze(-1).expand(-1, -1, 2));
        var restored = shuffled.gather(1, m.IdsRestore.unsqueeze(-1).expand(-1, -1, 2));
        Assert.True(restored.eq(x).all().item<bool>());
    }

    // int(L * (1 - r)) as Python evaluates it (checked with /usr/bin/python3): truncation after float error
    [Theory]
    [InlineData(49, 0.9, 4)]    // 49 * (1 - 0.9) = 4.899999999999999 → 4 (round would give 5)
    [InlineData(49, 0.5, 24)]   // 24.5 → 24 (round-half-away would give 25)
    [InlineData(49, 0.45, 26)]  // 26.95 → 26
    [InlineData(49, 0.6, 19)]   // 19.6 → 19
    [InlineData(49, 0.7, 14)]   // 14.700000000000003 → 14
    [InlineData(49, 0.75, 12)]  // 12.25 → 12
    [InlineData(64, 0.6, 25)]   // 25.6 → 25
    [InlineData(196, 0.75, 49)] // whole: every setting in the papers
    [InlineData(16, 0.75, 4)]
    [InlineData(10, 0.7, 3)]    // 10 * 0.30000000000000004 = 3.0000000000000004 → 3
    [InlineData(10, 0.3, 7)]    // 10 * 0.7 = 7.0 → 7
    [InlineData(10, 0.8, 1)]    // 10 * (1 - 0.8) = 1.9999999999999996 → 1
    public void Keep_count_truncates_like_the_official_code(int l, double ratio, int expected) =>
        Assert.Equal(expected, RandomMasking.KeepCount(l, ratio));

    [Theory]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    [InlineData(0.99)]
    public void Ratios_that_leave_nothing_visible_are_refused(double ratio)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RandomMasking.KeepCount(49, ratio));
        Assert.Contains("ratio", e.Message);
    }

    [Fact]
    public void A_ratio_that_truncates_to_no_token_is_refused()
    {
        // 10 * (1 - 0.9) = 0.9999999999999998: the official int() keeps nothing, so we refuse it
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RandomMasking.KeepCount(10, 0.9));
        Assert.Contains("keeps no token", e.Message);
    }

    [Fact]
    public void Noise_of_the_wrong_shape_is_refused()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => RandomMasking.Apply(zeros(2, 16, 4), 0.5, rand(2, 15)));
        Assert.Contains("noise", e.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.4)]
    [InlineData(0.75)]
    public void Block_masking_masks_exactly_the_target_in_rectangles(double ratio)
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var mask = BlockMasking.Mask(14, ratio, random);
            int count = mask.Cast<bool>().Count(b => b);
            Assert.Equal(196 - RandomMasking.KeepCount(196, ratio), count);
        }

        // block masks are clumped: most masked tokens have a masked 4-neighbour, unlike a random mask
        var m = BlockMasking.Mask(14, 0.5, new Random(1));
        int withNeighbour = 0, total = 0;
        for (int r = 0; r < 14; r++)
            for (int c = 0; c < 14; c++)
                if (m[r, c])
                {
                    total++;
                    if ((r > 0 && m[r - 1, c]) || (r < 13 && m[r + 1, c]) || (c > 0 && m[r, c - 1]) || (c < 13 && m[r, c + 1])) withNeighbour++;
                }
        Assert.True(withNeighbour > 0.9 * total, $"{withNeighbour}/{total} masked tokens touch another");
    }

    [Fact]
    public void Block_noise_removes_exactly_the_block_tokens()
    {
        using var scope = NewDisposeScope();
        var noise = BlockMasking.Noise(4, 7, 0.5, new Generator(seed: 2));
        var m = RandomMasking.Apply(zeros(4, 49, 1), 0.5, noise);
        Assert.True(m.Mask.eq((noise >= 1).to(ScalarType.Float32)).all().item<bool>());
    }
}
