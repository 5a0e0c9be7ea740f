using NotebookSsl.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class TwoViewsTests
{
    /// <summary>[1, 3, H, W]: channel 0 = (row + 0.5) / H, channel 1 = (column + 0.5) / W (pixel centres), channel 2 = 0.</summary>
    static Tensor CoordinateImage(int h, int w)
    {
        var rows = (arange(h, dtype: ScalarType.Float32) + 0.5f).div(h).view(h, 1).expand(h, w);
        var cols = (arange(w, dtype: ScalarType.Float32) + 0.5f).div(w).view(1, w).expand(h, w);
        return stack([rows, cols, zeros(h, w)], 0).unsqueeze(0);   // [1, 3, H, W]
    }

    [Fact]
    public void Every_drawn_pair_overlaps_by_the_minimum_share_of_each_crop()
    {
        using var scope = NewDisposeScope();
        var x = rand(300, 1, 28, 28, generator: new Generator(1));
        var sampler = TwoViews.UniSsl(28);
        using var pair = sampler.Apply(x, seed: 7);
        Assert.Equal([300, 1, 28, 28], pair.View1.shape);
        Assert.Equal([300, 1, 28, 28], pair.View2.shape);
        for (int i = 0; i < 300; i++)
        {
            Assert.True(pair.Boxes1[i].FitsIn(28, 28) && pair.Boxes2[i].FitsIn(28, 28));
            var o = pair.Overlap(i);
            Assert.True(o.Area >= 0.3 * pair.Boxes1[i].Area && o.Area >= 0.3 * pair.Boxes2[i].Area,
                $"image {i}: overlap {o} of {pair.Boxes1[i]} and {pair.Boxes2[i]}");
            Assert.InRange(pair.Draws[i], 1, sampler.MaxDraws);
        }
        // the constraint binds: some pairs were redrawn, and the boxes differ between views
        Assert.Contains(pair.Draws, d => d > 1);
        Assert.Contains(Enumerable.Range(0, 300), i => pair.Boxes1[i] != pair.Boxes2[i]);
        // without the constraint, some pairs would fail it
        var loose = new TwoViews(sampler.Augmentation, MinOverlap: 0).SampleBoxes(300, 28, 28, new Generator(7));
        Assert.All(loose.Draws, d => Assert.Equal(1, d));
        Assert.Contains(Enumerable.Range(0, 300), i => !TwoViews.Overlaps(loose.First[i], loose.Second[i], 0.3));
    }

    [Fact]
    public void The_same_seed_draws_the_same_views()
    {
        using var scope = NewDisposeScope();
        var x = rand(16, 1, 28, 28, generator: new Generator(2));
        using var a = TwoViews.UniSsl(28).Apply(x, seed: 3);
        using var b = TwoViews.UniSsl(28).Apply(x, seed: 3);
        Assert.Equal(a.Boxes1, b.Boxes1);
        Assert.Equal(a.Draws, b.Draws);
        Assert.True(a.View1.Same(b.View1) && a.View2.Same(b.View2));
    }

    [Fact]
    public void Giving_up_after_max_draws_uses_one_box_twice()
    {
        var sampler = new TwoViews(new ViewAugmentation(16, ScaleMin: 0.25, ScaleMax: 0.3), MinOverlap: 1.0, MaxDraws: 3);
        var (first, second, draws) = sampler.SampleBoxes(20, 32, 32, new Generator(5));
        for (int i = 0; i < 20; i++)
        {
            Assert.True(TwoViews.Overlaps(first[i], second[i], 1.0));
            Assert.True(draws[i] <= 3 || (draws[i] == 4 && first[i] == second[i]));
        }
    }

    [Theory]
    [InlineData(0.0)]   // never flipped
    [InlineData(1.0)]   // always flipped
    [InlineData(0.5)]
    public void A_point_sampled_in_both_views_is_the_same_image_pixel(double flipProbability)
    {
        using var scope = NewDisposeScope();
        const int h = 48, w = 64, size = 64, k = 4;
        var x = CoordinateImage(h, w).expand(12, -1, -1, -1).contiguous();          // [12, 3, 48, 64]
        // geometry only: a colour change would change the encoded coordinates
        var sampler = new TwoViews(new ViewAugmentation(size, ScaleMin: 0.25, FlipProbability: flipProbability));
        using var pair = sampler.Apply(x, seed: 11);
        if (flipProbability == 1.0) Assert.All(pair.Flipped1.Concat(pair.Flipped2), Assert.True);
        if (flipProbability == 0.0) Assert.All(pair.Flipped1.Concat(pair.Flipped2), Assert.False);

        // read each view's pixels at its grid: the values are the source coordinates the point came from
        var grid1 = pair.Grid(1, k);                                                // [12, K, K, 2]
        var grid2 = pair.Grid(2, k);
        var at1 = nn.functional.grid_sample(pair.View1, grid1, align_corners: false); // [12, 3, K, K]
        var at2 = nn.functional.grid_sample(pair.View2, grid2, align_corners: false);
        for (int i = 0; i < 12; i++)
        {
            var points = TwoViews.OverlapPoints(pair.Overlap(i), k);
            for (int j = 0; j < k * k; j++)
            {
                int r = j / k, c = j % k;
                double y1 = at1[i, 0, r, c].item<float>() * h, x1 = at1[i, 1, r, c].item<float>() * w;
                double y2 = at2[i, 0, r, c].item<float>() * h, x2 = at2[i, 1, r, c].item<float>() * w;
                Assert.True(Math.Abs(y1 - points[j].Y) < 0.02 && Math.Abs(x1 - points[j].X) < 0.02,
                    $"image {i}, point {j}: view 1 reads ({y1:F3}, {x1:F3}), expected ({points[j].Y:F3}, {points[j].X:F3}); flipped {pair.Flipped1[i]}");
                Assert.True(Math.Abs(y2 - points[j].Y) < 0.02 && Math.Abs(x2 - points[j].X) < 0.02,
                    $"image {i}, point {j}: view 2 reads ({y2:F3}, {x2:F3}), expected ({points[j].Y:F3}, {points[j].X:F3}); flipped {pair.Flipped2[i]}");
            }
        }
    }

    [Fact]
    public void Overlap_points_sit_at_the_centres_of_a_k_by_k_split()
    {
        var points = TwoViews.OverlapPoints(new CropBox(10, 20, 8, 4), 2);
        Assert.Equal([(12.0, 21.0), (12.0, 23.0), (16.0, 21.0), (16.0, 23.0)], points);
        // a view's outer edges map to ±1; a flip mirrors x
        var box = new CropBox(10, 20, 8, 4);
        Assert.Equal((-1.0, -1.0), TwoViews.ToViewGrid(box, false, 10, 20));
        Assert.Equal((1.0, 1.0), TwoViews.ToViewGrid(box, false, 18, 24));
        Assert.Equal((1.0, -1.0), TwoViews.ToViewGrid(box, true, 10, 20));
        Assert.Equal((0.5, 0.0), TwoViews.ToViewGrid(box, false, 14, 23));
    }
}
