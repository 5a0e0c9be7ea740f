using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>A crop rectangle in source pixels: rows [Top, Top + Height), columns [Left, Left + Width).</summary>
public readonly record struct CropBox(int Top, int Left, int Height, int Width)
{
    public int Bottom => Top + Height;
    public int Right => Left + Width;
    public int Area => Height * Width;

    /// <summary>The overlap of two boxes, or null when they do not overlap.</summary>
    public CropBox? Intersect(CropBox other)
    {
        int top = Math.Max(Top, other.Top), left = Math.Max(Left, other.Left);
        int bottom = Math.Min(Bottom, other.Bottom), right = Math.Min(Right, other.Right);
        return bottom > top && right > left ? new CropBox(top, left, bottom - top, right - left) : null;
    }

    /// <summary>True when the box lies within an image of the given size.</summary>
    public bool FitsIn(int height, int width) => Top >= 0 && Left >= 0 && Height > 0 && Width > 0 && Bottom <= height && Right <= width;
}

/// <summary>
/// Random augmentations of a batch [N, C, H, W] in [0, 1], each drawn per sample from a torch generator (or an int seed),
/// so the same seed gives the same result. Definitions follow torchvision's transforms (v0.15 functional_tensor).
/// </summary>
public static partial class Augment
{
    static readonly (double, double) DefaultScale = (0.2, 1.0);
    static readonly (double, double) DefaultRatio = (3.0 / 4.0, 4.0 / 3.0);

    // ---------------------------------------------------------------- RandomResizedCrop

    /// <summary>
    /// torchvision's RandomResizedCrop per sample: a box of area fraction in <paramref name="scale"/> (default 0.2..1,
    /// MAE's setting) and aspect ratio (log-uniform) in <paramref name="ratio"/> (default 3/4..4/3), resized bilinearly
    /// to size x size. Returns the crops [N, C, size, size] and each sample's box in source pixels.
    /// </summary>
    public static (Tensor Crops, CropBox[] Boxes) RandomResizedCrop(Tensor x, int size, Generator generator,
        (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        CheckBatch(x);
        ArgumentNullException.ThrowIfNull(generator);
        var boxes = SampleCropBoxes((int)x.shape[0], (int)x.shape[2], (int)x.shape[3], generator, scale, ratio);
        return (ResizedCrop(x, boxes, size), boxes);
    }

    /// <summary><see cref="RandomResizedCrop(Tensor, int, Generator, ValueTuple{double, double}?, ValueTuple{double, double}?)"/> with a generator seeded by <paramref name="seed"/>.</summary>
    public static (Tensor Crops, CropBox[] Boxes) RandomResizedCrop(Tensor x, int size, long seed,
        (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        using var g = new Generator((ulong)seed);
        return RandomResizedCrop(x, size, g, scale, ratio);
    }

    /// <summary>
    /// torchvision's RandomResizedCrop.get_params for <paramref name="count"/> images of height x width: up to 10 tries
    /// each, then the central crop clamped to the ratio range.
    /// </summary>
    public static CropBox[] SampleCropBoxes(int count, int height, int width, Generator generator,
        (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        var (sMin, sMax) = scale ?? DefaultScale;
        var (rMin, rMax) = ratio ?? DefaultRatio;
        if (!(sMin > 0 && sMin <= sMax && sMax <= 1))
            throw new ArgumentOutOfRangeException(nameof(scale), $"scale must satisfy 0 < min <= max <= 1; got ({sMin}, {sMax})");
        if (!(rMin > 0 && rMin <= rMax))
            throw new ArgumentOutOfRangeException(nameof(ratio), $"ratio must satisfy 0 < min <= max; got ({rMin}, {rMax})");
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        const int tries = 10;
        float[] u;
        using (var draws = rand([count, tries, 4], generator: generator)) // [N, 10, (area, ratio, top, left)]
            u = draws.data<float>().ToArray();
        double area = (double)height * width, logMin = Math.Log(rMin), logMax = Math.Log(rMax);
        var boxes = new CropBox[count];
        for (var n = 0; n < count; n++)
        {
            CropBox? box = null;
            for (var t = 0; t < tries && box is null; t++)
            {
                var o = (n * tries + t) * 4;
                var target = area * (sMin + (sMax - sMin) * u[o]);
                var aspect = Math.Exp(logMin + (logMax - logMin) * u[o + 1]);
                var w = (int)Math.Round(Math.Sqrt(target * aspect));
                var h = (int)Math.Round(Math.Sqrt(target / aspect));
                if (w > 0 && w <= width && h > 0 && h <= height)
                {
                    var top = Math.Min((int)(u[o + 2] * (height - h + 1)), height - h);
                    var left = Math.Min((int)(u[o + 3] * (width - w + 1)), width - w);
                    box = new CropBox(top, left, h, w);
                }
            }
            boxes[n] = box ?? CentralFallback(height, width, rMin, rMax);
        }
        return boxes;
    }

    static CropBox CentralFallback(int height, int width, double rMin, double rMax)
    {
        double inRatio = (double)width / height;
        int w, h;
        if (inRatio < rMin) { w = width; h = (int)Math.Round(w / rMin); }
        else if (inRatio > rMax) { h = height; w = (int)Math.Round(h * rMax); }
        else { w = width; h = height; }
        return new CropBox((height - h) / 2, (width - w) / 2, h, w);
    }

    /// <summary>Cuts each sample's box out of <paramref name="x"/> and resizes it (bilinear, antialiased when shrinking) to size x size.</summary>
    public static Tensor ResizedCrop(Tensor x, IReadOnlyList<CropBox> boxes, int size)
    {
        CheckBatch(x);
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        int n = (int)x.shape[0], height = (int)x.shape[2], width = (int)x.shape[3];
        if (boxes.Count != n) throw new ArgumentException($"{boxes.Count} boxes for {n} images", nameof(boxes));
        using var scope = NewDisposeScope();
        var crops = new Tensor[n];
        for (var i = 0; i < n; i++)
        {
            var b = boxes[i];
            if (!b.FitsIn(height, width))
                throw new ArgumentException($"box {b} of sample {i} does not fit a {height}x{width} image", nameof(boxes));
            var patch = x.narrow(0, i, 1).narrow(2, b.Top, b.Height).narrow(3, b.Left, b.Width); // [1, C, h, w]
            crops[i] = ImageDecoding.Resize(patch, size, size);                                   // [1, C, size, size]
        }
        return cat(crops, 0).MoveToOuterDisposeScope();                                             // [N, C, size, size]
    }

    // ---------------------------------------------------------------- flips

    /// <summary>Flips each sample left-right with probability <paramref name="p"/>; returns the images and which were flipped.</summary>
    public static (Tensor Images, bool[] Flipped) RandomHorizontalFlip(Tensor x, Generator generator, double p = 0.5)
    {
        CheckBatch(x);
        CheckProbability(p);
        using var scope = NewDisposeScope();
        var flip = SampleMask(x.shape[0], p, generator);                         // [N] bool
        var flipped = flip.data<bool>().ToArray();
        var mask = flip.to(x.device).view(-1, 1, 1, 1);                          // [N, 1, 1, 1]
        var y = where(mask, x.flip(3), x);                                       // [N, C, H, W]
        return (y.MoveToOuterDisposeScope(), flipped);
    }

    public static (Tensor Images, bool[] Flipped) RandomHorizontalFlip(Tensor x, long seed, double p = 0.5)
    {
        using var g = new Generator((ulong)seed);
        return RandomHorizontalFlip(x, g, p);
    }

    // ---------------------------------------------------------------- grayscale

    /// <summary>ITU-R 601-2 luma of [N, 3, H, W] (torchvision's weights 0.2989, 0.587, 0.114): [N, 1, H, W]. One-channel input is returned as a copy.</summary>
    public static Tensor Grayscale(Tensor x)
    {
        CheckBatch(x);
        if (x.shape[1] == 1) return x.clone();
        using var scope = NewDisposeScope();
        var rgb = x.unbind(1);
        return (0.2989f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]).unsqueeze(1).MoveToOuterDisposeScope(); // [N, 1, H, W]
    }

    /// <summary>Turns each sample grey (kept as C channels) with probability <paramref name="p"/>; a no-op copy for one-channel images.</summary>
    public static Tensor RandomGrayscale(Tensor x, Generator generator, double p = 0.2)
    {
        CheckBatch(x);
        CheckProbability(p);
        using var scope = NewDisposeScope();
        var mask = SampleMask(x.shape[0], p, generator).to(x.device).view(-1, 1, 1, 1); // [N, 1, 1, 1]
        if (x.shape[1] == 1) return x.clone().MoveToOuterDisposeScope();
        var grey = Grayscale(x).expand_as(x);                                            // [N, 3, H, W]
        return where(mask, grey, x).MoveToOuterDisposeScope();
    }

    public static Tensor RandomGrayscale(Tensor x, long seed, double p = 0.2)
    {
        using var g = new Generator((ulong)seed);
        return RandomGrayscale(x, g, p);
    }

    // ---------------------------------------------------------------- helpers

    internal static void CheckBatch(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.dim() != 4)
            throw new ArgumentException($"expected a batch [N, C, H, W]; got {Shapes.Of(x)}", nameof(x));
        if (x.shape[1] is not (1 or 3))
            throw new ArgumentException($"expected 1 or 3 channels; got {x.shape[1]}", nameof(x));
        if (!x.is_floating_point())
            throw new ArgumentException($"expected floating-point images in [0, 1]; got {x.dtype}", nameof(x));
    }

    static void CheckProbability(double p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"probability {p} is not in [0, 1]");
    }

    /// <summary>[N] bool, each true with probability p, drawn on the CPU from the generator.</summary>
    static Tensor SampleMask(long n, double p, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return rand([n], generator: generator).lt(p); // [N]
    }

    /// <summary>[N] uniform in [lo, hi] from the generator, as a float32 tensor on <paramref name="device"/>.</summary>
    static Tensor Uniform(long n, double lo, double hi, Generator generator, Device device) =>
        (rand([n], generator: generator) * (hi - lo) + lo).to(device); // [N]
}
