using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>Per-channel mean and standard deviation of an image set, and the normalisation they define.</summary>
public sealed record ChannelStats(float[] Mean, float[] Std)
{
    public int Channels => Mean.Length;

    /// <summary>Mean and population std per channel of <paramref name="images"/> [N, C, H, W], accumulated in float64.</summary>
    public static ChannelStats Compute(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"images must be [N, C, H, W]; got {Shapes.Of(images)}", nameof(images));
        if (images.shape[0] == 0)
            throw new ArgumentException("cannot compute channel statistics of zero images", nameof(images));
        long n = images.shape[0], c = images.shape[1];
        var pixelsPerChannel = (double)n * images.shape[2] * images.shape[3];
        var sum = new double[c];
        var sumSq = new double[c];
        const long chunk = 4096; // bounded float64 copies even for 60,000 images
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            var x = images.narrow(0, start, Math.Min(chunk, n - start)).to_type(ScalarType.Float64).cpu(); // [B, C, H, W]
            var s1 = x.sum([0, 2, 3]).data<double>().ToArray();                                       // [C]
            var s2 = x.square().sum([0, 2, 3]).data<double>().ToArray();                              // [C]
            for (var k = 0; k < c; k++) { sum[k] += s1[k]; sumSq[k] += s2[k]; }
        }
        var m = new float[c];
        var s = new float[c];
        for (var k = 0; k < c; k++)
        {
            var mean = sum[k] / pixelsPerChannel;
            m[k] = (float)mean;
            s[k] = (float)Math.Sqrt(Math.Max(0, sumSq[k] / pixelsPerChannel - mean * mean));
        }
        return new ChannelStats(m, s);
    }

    /// <summary>(x - mean) / std per channel; x is [N, C, H, W] or [C, H, W].</summary>
    public Tensor Normalize(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(x);
        return ((x - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>The inverse of <see cref="Normalize"/>: x * std + mean.</summary>
    public Tensor Denormalize(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Shaped(x);
        return (x * std + mean).MoveToOuterDisposeScope();
    }

    (Tensor Mean, Tensor Std) Shaped(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var cdim = x.dim() switch
        {
            4 => 1,
            3 => 0,
            _ => throw new ArgumentException($"expected [N, C, H, W] or [C, H, W]; got {Shapes.Of(x)}", nameof(x)),
        };
        if (x.shape[cdim] != Channels)
            throw new ArgumentException($"tensor has {x.shape[cdim]} channels, statistics have {Channels}", nameof(x));
        if (Std.Any(s => s <= 0))
            throw new InvalidOperationException($"a channel has std {Std.Min()}; cannot normalise by it");
        long[] shape = cdim == 1 ? [1, Channels, 1, 1] : [Channels, 1, 1];
        var mean = tensor(Mean, dtype: x.dtype, device: x.device).reshape(shape);
        var std = tensor(Std, dtype: x.dtype, device: x.device).reshape(shape);
        return (mean, std);
    }
}
