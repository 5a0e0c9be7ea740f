using static TorchSharp.torch;

namespace NotebookSsl.Data;

public static partial class Augment
{
    // ---------------------------------------------------------------- ColorJitter

    /// <summary>
    /// torchvision's ColorJitter, applied to each sample with probability <paramref name="p"/>, with factors drawn per
    /// sample: brightness in [max(0, 1-b), 1+b], contrast in [max(0, 1-c), 1+c], saturation in [max(0, 1-s), 1+s],
    /// hue shift in [-h, h] (h ≤ 0.5), applied in one random order per call. For one-channel images only brightness
    /// and contrast apply.
    /// </summary>
    public static Tensor ColorJitter(Tensor x, Generator generator, double brightness = 0.4, double contrast = 0.4,
        double saturation = 0.4, double hue = 0.1, double p = 0.8)
    {
        CheckBatch(x);
        CheckProbability(p);
        ArgumentNullException.ThrowIfNull(generator);
        foreach (var (v, name) in new[] { (brightness, nameof(brightness)), (contrast, nameof(contrast)), (saturation, nameof(saturation)) })
            if (!(v >= 0)) throw new ArgumentOutOfRangeException(name, $"{name} must be >= 0; got {v}");
        if (!(hue >= 0 && hue <= 0.5)) throw new ArgumentOutOfRangeException(nameof(hue), $"hue must be in [0, 0.5]; got {hue}");

        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var rgb = x.shape[1] == 3;
        var apply = SampleMask(n, p, generator).to(x.device).view(-1, 1, 1, 1);                 // [N, 1, 1, 1]
        var b = Uniform(n, Math.Max(0, 1 - brightness), 1 + brightness, generator, x.device).view(-1, 1, 1, 1);
        var c = Uniform(n, Math.Max(0, 1 - contrast), 1 + contrast, generator, x.device).view(-1, 1, 1, 1);
        var s = Uniform(n, Math.Max(0, 1 - saturation), 1 + saturation, generator, x.device).view(-1, 1, 1, 1);
        var h = Uniform(n, -hue, hue, generator, x.device).view(-1, 1, 1);                      // [N, 1, 1]
        var order = randperm(4, generator: generator).data<long>().ToArray();

        var y = x;
        foreach (var op in order)
        {
            y = op switch
            {
                0 when brightness > 0 => AdjustBrightness(y, b),
                1 when contrast > 0 => AdjustContrast(y, c),
                2 when saturation > 0 && rgb => AdjustSaturation(y, s),
                3 when hue > 0 && rgb => AdjustHue(y, h),
                _ => y,
            };
        }
        return where(apply, y, x).MoveToOuterDisposeScope();                                    // [N, C, H, W]
    }

    public static Tensor ColorJitter(Tensor x, long seed, double brightness = 0.4, double contrast = 0.4,
        double saturation = 0.4, double hue = 0.1, double p = 0.8)
    {
        using var g = new Generator((ulong)seed);
        return ColorJitter(x, g, brightness, contrast, saturation, hue, p);
    }

    /// <summary>clamp(x * factor); factor broadcasts ([N, 1, 1, 1] or a scalar tensor).</summary>
    public static Tensor AdjustBrightness(Tensor x, Tensor factor) => (x * factor).clamp(0, 1);

    /// <summary>Blend with the mean grey level of each image: clamp(f * x + (1 - f) * mean(gray(x))).</summary>
    public static Tensor AdjustContrast(Tensor x, Tensor factor)
    {
        using var scope = NewDisposeScope();
        var mean = Grayscale(x).mean([1, 2, 3], keepdim: true);            // [N, 1, 1, 1]
        return Blend(x, mean, factor).MoveToOuterDisposeScope();
    }

    /// <summary>Blend with the grey image: clamp(f * x + (1 - f) * gray(x)); RGB only.</summary>
    public static Tensor AdjustSaturation(Tensor x, Tensor factor)
    {
        using var scope = NewDisposeScope();
        return Blend(x, Grayscale(x), factor).MoveToOuterDisposeScope();
    }

    /// <summary>Shifts hue by <paramref name="shift"/> ([N, 1, 1], in turns, within [-0.5, 0.5]) through HSV; RGB only.</summary>
    public static Tensor AdjustHue(Tensor x, Tensor shift)
    {
        if (x.shape[1] != 3) throw new ArgumentException("hue needs 3-channel images", nameof(x));
        using var scope = NewDisposeScope();
        var hsv = RgbToHsv(x).unbind(1);                                    // 3 x [N, H, W]
        var hue = (hsv[0] + shift).remainder(1.0);                          // [N, H, W]
        return HsvToRgb(stack([hue, hsv[1], hsv[2]], 1)).MoveToOuterDisposeScope(); // [N, 3, H, W]
    }

    static Tensor Blend(Tensor x, Tensor other, Tensor factor) => (factor * x + (1 - factor) * other).clamp(0, 1);

    /// <summary>torchvision's _rgb2hsv: [N, 3, H, W] RGB in [0, 1] to HSV, hue in [0, 1).</summary>
    public static Tensor RgbToHsv(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ch = x.unbind(1);
        Tensor r = ch[0], g = ch[1], b = ch[2];                             // [N, H, W]
        var maxc = x.amax([1]);                                             // [N, H, W]
        var minc = x.amin([1]);
        var eqc = maxc.eq(minc);
        var cr = maxc - minc;
        var one = ones_like(maxc);
        var s = cr / where(eqc, one, maxc);
        var crDiv = where(eqc, one, cr);
        var rc = (maxc - r) / crDiv;
        var gc = (maxc - g) / crDiv;
        var bc = (maxc - b) / crDiv;
        var isR = maxc.eq(r);
        var isG = maxc.eq(g).logical_and(isR.logical_not());
        var isB = maxc.ne(g).logical_and(isR.logical_not());
        var hr = isR.to_type(x.dtype) * (bc - gc);
        var hg = isG.to_type(x.dtype) * (2.0f + rc - bc);
        var hb = isB.to_type(x.dtype) * (4.0f + gc - rc);
        var h = ((hr + hg + hb) / 6.0f + 1.0f).fmod(1.0f);
        return stack([h, s, maxc], 1).MoveToOuterDisposeScope();           // [N, 3, H, W]
    }

    /// <summary>torchvision's _hsv2rgb: [N, 3, H, W] HSV to RGB.</summary>
    public static Tensor HsvToRgb(Tensor x)
    {
        using var scope = NewDisposeScope();
        var ch = x.unbind(1);
        Tensor h = ch[0], s = ch[1], v = ch[2];                             // [N, H, W]
        var i6 = (h * 6.0f).floor();
        var f = h * 6.0f - i6;
        var i = i6.to_type(ScalarType.Int32).remainder(6);
        var p = (v * (1.0f - s)).clamp(0, 1);
        var q = (v * (1.0f - s * f)).clamp(0, 1);
        var t = (v * (1.0f - s * (1.0f - f))).clamp(0, 1);
        Tensor[] rs = [v, q, p, p, t, v], gs = [t, v, v, q, p, p], bs = [p, p, t, v, v, q];
        Tensor r = zeros_like(v), g = zeros_like(v), b = zeros_like(v);
        for (var k = 0; k < 6; k++)
        {
            var m = i.eq(k);
            r = where(m, rs[k], r);
            g = where(m, gs[k], g);
            b = where(m, bs[k], b);
        }
        return stack([r, g, b], 1).MoveToOuterDisposeScope();              // [N, 3, H, W]
    }

    // ---------------------------------------------------------------- GaussianBlur

    /// <summary>
    /// torchvision's GaussianBlur with sigma drawn per sample uniformly from <paramref name="sigma"/> (default 0.1..2),
    /// applied with probability <paramref name="p"/>: a separable kernel of odd size <paramref name="kernelSize"/>,
    /// exp(-x²/2σ²) normalised, over reflect-padded images.
    /// </summary>
    public static Tensor GaussianBlur(Tensor x, int kernelSize, Generator generator, (double Min, double Max)? sigma = null, double p = 1.0)
    {
        CheckBatch(x);
        CheckProbability(p);
        ArgumentNullException.ThrowIfNull(generator);
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"kernel size must be odd and positive; got {kernelSize}");
        var (sMin, sMax) = sigma ?? (0.1, 2.0);
        if (!(sMin > 0 && sMin <= sMax))
            throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma must satisfy 0 < min <= max; got ({sMin}, {sMax})");
        long n = x.shape[0], c = x.shape[1], height = x.shape[2], width = x.shape[3];
        var half = kernelSize / 2;
        if (half >= height || half >= width)
            throw new ArgumentException($"kernel {kernelSize} is too large for {height}x{width} images (reflect padding needs kernel/2 < side)", nameof(kernelSize));

        using var scope = NewDisposeScope();
        var apply = SampleMask(n, p, generator).to(x.device).view(-1, 1, 1, 1);         // [N, 1, 1, 1]
        var sig = Uniform(n, sMin, sMax, generator, x.device).to_type(x.dtype).view(-1, 1); // [N, 1]
        var pos = linspace(-half, half, kernelSize, dtype: x.dtype, device: x.device).view(1, -1); // [1, K]
        var kernel = (-0.5f * (pos / sig).pow(2)).exp();                                // [N, K]
        kernel = kernel / kernel.sum(1, keepdim: true);
        var perChannel = kernel.repeat_interleave(c, dim: 0);                          // [N*C, K]
        var wH = perChannel.view(n * c, 1, 1, kernelSize);                             // [N*C, 1, 1, K]
        var wV = perChannel.view(n * c, 1, kernelSize, 1);                             // [N*C, 1, K, 1]
        var flat = x.reshape(1, n * c, height, width);                                 // [1, N*C, H, W]
        var padded = nn.functional.pad(flat, [half, half, half, half], TorchSharp.PaddingModes.Reflect); // [1, N*C, H+2h, W+2h]
        var blurred = nn.functional.conv2d(padded, wH, groups: n * c);                 // [1, N*C, H+2h, W]
        blurred = nn.functional.conv2d(blurred, wV, groups: n * c);                    // [1, N*C, H, W]
        var y = blurred.reshape(n, c, height, width);                                  // [N, C, H, W]
        return where(apply, y, x).MoveToOuterDisposeScope();
    }

    public static Tensor GaussianBlur(Tensor x, int kernelSize, long seed, (double Min, double Max)? sigma = null, double p = 1.0)
    {
        using var g = new Generator((ulong)seed);
        return GaussianBlur(x, kernelSize, g, sigma, p);
    }
}
