using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>A rectangle in a view's own pixel coordinates (fractional: a source region rarely lands on whole view pixels).</summary>
public readonly record struct ViewRegion(double Top, double Left, double Height, double Width);

/// <summary>Augmented views of a batch: images [N, C, size, size], each sample's crop box in source pixels, and whether it was flipped.</summary>
public sealed record AugmentedViews(Tensor Images, CropBox[] Boxes, bool[] Flipped) : IDisposable
{
    public void Dispose() => Images.Dispose();
}

/// <summary>
/// One recipe for making a view of each image: random resized crop, horizontal flip, then (each with its probability)
/// colour jitter, grayscale and Gaussian blur. <see cref="Mae"/> is MAE's pre-training recipe, <see cref="SimClr"/>
/// SimCLR's. Crop boxes and flips are returned so that two views of the same images can be aligned (Uni-SSL).
/// </summary>
public sealed record ViewAugmentation(
    int Size,
    double ScaleMin = 0.2,
    double ScaleMax = 1.0,
    double FlipProbability = 0.5,
    double JitterProbability = 0.0,
    double Brightness = 0.4,
    double Contrast = 0.4,
    double Saturation = 0.4,
    double Hue = 0.1,
    double GrayscaleProbability = 0.0,
    double BlurProbability = 0.0,
    double BlurSigmaMin = 0.1,
    double BlurSigmaMax = 2.0)
{
    /// <summary>MAE: RandomResizedCrop(scale 0.2..1) and a horizontal flip, nothing else.</summary>
    public static ViewAugmentation Mae(int size) => new(size);

    /// <summary>SimCLR: crop (0.08..1), flip, jitter 0.4/0.4/0.4/0.1 with p 0.8, grayscale p 0.2, blur p 0.5.</summary>
    public static ViewAugmentation SimClr(int size) => new(size, ScaleMin: 0.08, JitterProbability: 0.8,
        GrayscaleProbability: 0.2, BlurProbability: 0.5);

    /// <summary>
    /// Uni-SSL (lc-mae-uni-ssl §3, "Data augmentations"): crop scale 0.25..1, flip p 0.5, jitter 0.4/0.4/0.4/0.1 with p 0.8,
    /// grayscale p 0.2, Gaussian blur σ in [0.1, 2]. The paper gives no blur probability; 0.5 is SimCLR's (DINO uses 1.0
    /// on one global crop and 0.1 on the other).
    /// </summary>
    public static ViewAugmentation UniSsl(int size) => new(size, ScaleMin: 0.25, JitterProbability: 0.8,
        GrayscaleProbability: 0.2, BlurProbability: 0.5);

    /// <summary>Blur kernel: about a tenth of the view side, odd, at least 3 (SimCLR's choice).</summary>
    public int BlurKernel => Math.Max(3, (Size / 10) | 1);

    /// <summary>Makes one view of every image in <paramref name="x"/> [N, C, H, W], drawing everything from <paramref name="generator"/>.</summary>
    public AugmentedViews Apply(Tensor x, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Size, 1);
        using var scope = NewDisposeScope();
        var (crops, boxes) = Augment.RandomResizedCrop(x, Size, generator, (ScaleMin, ScaleMax)); // [N, C, S, S]
        var (y, flipped) = FlipAndColour(crops, generator);
        return new AugmentedViews(y.MoveToOuterDisposeScope(), boxes, flipped);
    }

    /// <summary>Everything after the crop: the flip, then jitter, grayscale and blur, each with its probability.</summary>
    internal (Tensor Images, bool[] Flipped) FlipAndColour(Tensor crops, Generator generator)
    {
        var (y, flipped) = Augment.RandomHorizontalFlip(crops, generator, FlipProbability);
        if (JitterProbability > 0)
            y = Augment.ColorJitter(y, generator, Brightness, Contrast, Saturation, Hue, JitterProbability);
        if (GrayscaleProbability > 0)
            y = Augment.RandomGrayscale(y, generator, GrayscaleProbability);
        if (BlurProbability > 0 && BlurKernel / 2 < Size)
            y = Augment.GaussianBlur(y, BlurKernel, generator, (BlurSigmaMin, BlurSigmaMax), BlurProbability);
        return (y, flipped);
    }

    public AugmentedViews Apply(Tensor x, long seed)
    {
        using var g = new Generator((ulong)seed);
        return Apply(x, g);
    }
}

public static partial class Augment
{
    /// <summary>
    /// Where a region given in source pixels (e.g. the <see cref="CropBox.Intersect"/> of two views' boxes) lies in a
    /// view made from <paramref name="viewBox"/>, resized to <paramref name="viewSize"/> and possibly flipped
    /// left-right. Coordinates are in view pixels.
    /// </summary>
    public static ViewRegion RegionInView(CropBox viewBox, CropBox region, int viewSize, bool flipped)
    {
        double sy = (double)viewSize / viewBox.Height, sx = (double)viewSize / viewBox.Width;
        var top = (region.Top - viewBox.Top) * sy;
        var left = (region.Left - viewBox.Left) * sx;
        double height = region.Height * sy, width = region.Width * sx;
        if (flipped) left = viewSize - left - width;
        return new ViewRegion(top, left, height, width);
    }
}
