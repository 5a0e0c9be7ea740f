using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// Two augmented views of every image of a batch whose crops overlap (Uni-SSL, lc-mae-uni-ssl §3): the views
/// [N, C, size, size], each crop box in source pixels, each flip, and how many crop pairs were drawn per image before
/// one overlapped enough.
/// </summary>
public sealed record ViewPair(Tensor View1, Tensor View2, CropBox[] Boxes1, CropBox[] Boxes2, bool[] Flipped1, bool[] Flipped2,
    int[] Draws, int Size) : IDisposable
{
    public int Count => Boxes1.Length;

    /// <summary>The overlap of image <paramref name="i"/>'s two crops, in source pixels.</summary>
    public CropBox Overlap(int i) => Boxes1[i].Intersect(Boxes2[i])
        ?? throw new InvalidOperationException($"the crops of image {i} do not overlap ({Boxes1[i]}, {Boxes2[i]})");

    /// <summary>
    /// Where K×K points spread evenly over each image's overlap (<see cref="TwoViews.OverlapPoints"/>) lie in view
    /// <paramref name="view"/> (1 or 2): [N, K, K, 2] normalised (x, y) coordinates for <c>grid_sample</c> with
    /// <c>align_corners: false</c>, which hold at any resolution of the view (its pixels or its token grid).
    /// </summary>
    public Tensor Grid(int view, int k)
    {
        if (view is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(view), view, "view must be 1 or 2");
        var boxes = view == 1 ? Boxes1 : Boxes2;
        var flipped = view == 1 ? Flipped1 : Flipped2;
        var values = new float[Count * k * k * 2];
        for (var i = 0; i < Count; i++)
        {
            var points = TwoViews.OverlapPoints(Overlap(i), k);
            for (var j = 0; j < points.Length; j++)
            {
                var (gx, gy) = TwoViews.ToViewGrid(boxes[i], flipped[i], points[j].Y, points[j].X);
                values[(i * k * k + j) * 2] = (float)gx;
                values[(i * k * k + j) * 2 + 1] = (float)gy;
            }
        }
        return tensor(values, [Count, k, k, 2], device: View1.device);   // [N, K, K, 2]
    }

    public void Dispose()
    {
        View1.Dispose();
        View2.Dispose();
    }
}

/// <summary>
/// Draws two views of each image with <see cref="Augmentation"/>, redrawing the pair of crop boxes until their overlap
/// covers at least <see cref="MinOverlap"/> of each crop's area (the paper: 30 %). After <see cref="MaxDraws"/> failed
/// pairs the second view takes the first one's box (full overlap); <see cref="ViewPair.Draws"/> then reads MaxDraws + 1.
/// </summary>
public sealed record TwoViews(ViewAugmentation Augmentation, double MinOverlap = 0.3, int MaxDraws = 100)
{
    /// <summary>The paper's recipe: <see cref="ViewAugmentation.UniSsl"/> views, overlap ≥ 30 % of each crop.</summary>
    public static TwoViews UniSsl(int size) => new(ViewAugmentation.UniSsl(size));

    /// <summary>Two views of every image of <paramref name="x"/> [N, C, H, W], everything drawn from <paramref name="generator"/>.</summary>
    public ViewPair Apply(Tensor x, Generator generator)
    {
        Augment.CheckBatch(x);
        ArgumentNullException.ThrowIfNull(generator);
        if (!(MinOverlap >= 0 && MinOverlap <= 1)) throw new ArgumentOutOfRangeException(nameof(MinOverlap), MinOverlap, "MinOverlap must be in [0, 1]");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDraws, 1);
        var a = Augmentation;
        var (boxes1, boxes2, draws) = SampleBoxes((int)x.shape[0], (int)x.shape[2], (int)x.shape[3], generator);
        using var scope = NewDisposeScope();
        var (view1, flipped1) = a.FlipAndColour(Augment.ResizedCrop(x, boxes1, a.Size), generator);   // [N, C, S, S]
        var (view2, flipped2) = a.FlipAndColour(Augment.ResizedCrop(x, boxes2, a.Size), generator);   // [N, C, S, S]
        return new ViewPair(view1.MoveToOuterDisposeScope(), view2.MoveToOuterDisposeScope(), boxes1, boxes2, flipped1, flipped2, draws, a.Size);
    }

    public ViewPair Apply(Tensor x, long seed)
    {
        using var g = new Generator((ulong)seed);
        return Apply(x, g);
    }

    /// <summary>Pairs of crop boxes (torchvision's RandomResizedCrop each) that overlap enough, and the draws each took.</summary>
    public (CropBox[] First, CropBox[] Second, int[] Draws) SampleBoxes(int count, int height, int width, Generator generator)
    {
        var scale = (Augmentation.ScaleMin, Augmentation.ScaleMax);
        var first = new CropBox[count];
        var second = new CropBox[count];
        var draws = new int[count];
        var pending = Enumerable.Range(0, count).ToList();
        for (var round = 0; round < MaxDraws && pending.Count > 0; round++)
        {
            // one pair for every image still waiting, drawn together (the generator's order stays fixed per seed)
            var boxes = Augment.SampleCropBoxes(2 * pending.Count, height, width, generator, scale);
            var still = new List<int>();
            for (var j = 0; j < pending.Count; j++)
            {
                var i = pending[j];
                (first[i], second[i]) = (boxes[2 * j], boxes[2 * j + 1]);
                draws[i]++;
                if (!Overlaps(first[i], second[i], MinOverlap)) still.Add(i);
            }
            pending = still;
        }
        foreach (var i in pending) { second[i] = first[i]; draws[i]++; }   // gave up: the same box twice
        return (first, second, draws);
    }

    /// <summary>Whether the overlap of two boxes is at least <paramref name="minOverlap"/> of each box's area.</summary>
    public static bool Overlaps(CropBox a, CropBox b, double minOverlap) =>
        a.Intersect(b) is { } o && o.Area >= minOverlap * a.Area && o.Area >= minOverlap * b.Area;

    /// <summary>
    /// K×K points spread evenly over <paramref name="region"/>, at the centres of a K×K split of it, in continuous source
    /// coordinates (pixel (r, c) covers [r, r + 1) × [c, c + 1)); row-major, (Y, X).
    /// </summary>
    public static (double Y, double X)[] OverlapPoints(CropBox region, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var points = new (double, double)[k * k];
        for (var r = 0; r < k; r++)
            for (var c = 0; c < k; c++)
                points[r * k + c] = (region.Top + (r + 0.5) * region.Height / k, region.Left + (c + 0.5) * region.Width / k);
        return points;
    }

    /// <summary>
    /// A source point (continuous coordinates) in the view cut from <paramref name="box"/>, as normalised (x, y) for
    /// <c>grid_sample(align_corners: false)</c>: −1 and +1 are the outer edges of the view's first and last pixel (or
    /// token), so the same numbers address the view's pixels and its token grid alike. A flipped view mirrors x.
    /// </summary>
    public static (double X, double Y) ToViewGrid(CropBox box, bool flipped, double y, double x)
    {
        var u = (x - box.Left) / box.Width;    // 0 at the box's left edge, 1 at its right edge
        var v = (y - box.Top) / box.Height;
        if (flipped) u = 1 - u;
        return (2 * u - 1, 2 * v - 1);
    }
}
