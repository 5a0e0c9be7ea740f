using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>
/// The regularisation of MAE's fine-tuning (main_finetune.py): timm's <c>Mixup</c> in batch mode with label
/// smoothing. Each batch is either mixed with its own reverse (mixup, λ ~ Beta(α, α)) or gets a box cut from it
/// (cutmix, λ ~ Beta(1, 1), then corrected to the box's true area), chosen with probability <see cref="SwitchProb"/>;
/// the targets are the same mix of the smoothed one-hot labels. The defaults are the official recipe's.
/// </summary>
public sealed record Mixup
{
    /// <summary>Beta(α, α) of mixup (--mixup 0.8). 0: cutmix only.</summary>
    public double MixupAlpha { get; init; } = 0.8;
    /// <summary>Beta(α, α) of cutmix (--cutmix 1.0). 0: mixup only.</summary>
    public double CutmixAlpha { get; init; } = 1.0;
    /// <summary>Chance that a batch gets cutmix rather than mixup when both are on (--mixup_switch_prob 0.5).</summary>
    public double SwitchProb { get; init; } = 0.5;
    /// <summary>Label smoothing (--smoothing 0.1): the true class gets 1 − s + s/K, every other s/K.</summary>
    public double Smoothing { get; init; } = 0.1;

    /// <summary>The official recipe: mixup 0.8, cutmix 1.0, switch 0.5, smoothing 0.1.</summary>
    public static Mixup Official { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first bad value.</summary>
    public Mixup Validate()
    {
        if (MixupAlpha < 0 || CutmixAlpha < 0 || MixupAlpha + CutmixAlpha == 0)
            throw new ArgumentException($"Mixup needs α ≥ 0 with at least one of mixup ({MixupAlpha}) and cutmix ({CutmixAlpha}) above 0.");
        if (SwitchProb is < 0 or > 1) throw new ArgumentException($"SwitchProb must be in [0, 1], got {SwitchProb}.");
        if (Smoothing is < 0 or >= 1) throw new ArgumentException($"Smoothing must be in [0, 1), got {Smoothing}.");
        return this;
    }

    /// <summary>
    /// One batch mixed: images [N, C, H, W] and labels [N] (N even, as timm asserts) to the mixed images and their
    /// soft targets [N, K]. Draws from <paramref name="generator"/> only, so a seeded run repeats.
    /// </summary>
    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, int numClasses, Generator generator)
    {
        if (images.dim() != 4) throw new ArgumentException($"images must be [N, C, H, W], got [{string.Join(", ", images.shape)}].");
        long n = images.shape[0], height = images.shape[2], width = images.shape[3];
        if (n % 2 != 0) throw new ArgumentException($"Mixup needs an even batch size (timm asserts it), got {n}.");
        using var scope = NewDisposeScope();

        // mixup or cutmix for this batch, and λ
        bool cutmix = MixupAlpha == 0 || (CutmixAlpha > 0 && Uniform(generator) < SwitchProb);
        double lambda = Beta(cutmix ? CutmixAlpha : MixupAlpha, generator);
        var flipped = images.flip(0);                                              // [N, C, H, W] image N−1−i at row i
        Tensor mixed;
        if (cutmix)
        {
            // timm's rand_bbox: sides int(H·√(1 − λ)) around a uniform centre, clipped; λ corrected to the box's area
            double cut = Math.Sqrt(1 - lambda);
            int cutH = (int)(height * cut), cutW = (int)(width * cut);
            int cy = (int)Math.Min(height - 1, Uniform(generator) * height), cx = (int)Math.Min(width - 1, Uniform(generator) * width);
            int top = Math.Clamp(cy - cutH / 2, 0, (int)height), bottom = Math.Clamp(cy + cutH / 2, 0, (int)height);
            int left = Math.Clamp(cx - cutW / 2, 0, (int)width), right = Math.Clamp(cx + cutW / 2, 0, (int)width);
            mixed = images.clone();
            if (bottom > top && right > left)
            {
                var rows = TensorIndex.Slice(top, bottom);
                var cols = TensorIndex.Slice(left, right);
                mixed[TensorIndex.Colon, TensorIndex.Colon, rows, cols] = flipped[TensorIndex.Colon, TensorIndex.Colon, rows, cols];
            }
            lambda = 1 - (double)(bottom - top) * (right - left) / (height * width);
        }
        else mixed = images * lambda + flipped * (1 - lambda);                    // [N, C, H, W]

        // timm's mixup_target: smoothed one-hot labels, mixed with the same λ
        double off = Smoothing / numClasses, on = 1 - Smoothing + off;
        var oneHot = nn.functional.one_hot(labels, numClasses).to(images.dtype);   // [N, K]
        var smoothed = oneHot * (on - off) + off;                                 // [N, K]
        var targets = smoothed * lambda + smoothed.flip(0) * (1 - lambda);        // [N, K]
        return (mixed.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>timm's SoftTargetCrossEntropy: −Σ targets · log softmax(logits), averaged over the batch.</summary>
    public static Tensor SoftTargetCrossEntropy(Tensor logits, Tensor targets)
        => (-targets * nn.functional.log_softmax(logits, -1)).sum(-1).mean();

    static double Uniform(Generator generator)
    {
        using var u = rand(1, generator: generator);
        return u.item<float>();
    }

    /// <summary>Beta(α, α) by Jöhnk's method (two uniforms, accept when X + Y ≤ 1); α = 1 is the uniform itself.</summary>
    static double Beta(double alpha, Generator generator)
    {
        if (alpha == 1) return Uniform(generator);
        while (true)
        {
            double x = Math.Pow(Uniform(generator), 1 / alpha), y = Math.Pow(Uniform(generator), 1 / alpha);
            if (x + y <= 1 && x + y > 0) return x / (x + y);
        }
    }
}
