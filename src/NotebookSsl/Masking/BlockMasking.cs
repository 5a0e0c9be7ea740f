using static TorchSharp.torch;

namespace NotebookSsl.Masking;

/// <summary>
/// BEiT's block-wise masking (masking_generator.py), used by CAE: rectangles of at least
/// <c>minTokens</c> tokens with aspect ratio in [0.3, 1/0.3] are added at random until the target count
/// is reached; a final shortfall (rare) is filled with single random tokens so the count is exact.
/// </summary>
public static class BlockMasking
{
    /// <summary>A [g, g] boolean mask with exactly L − int(L·(1−ratio)) tokens set (the count random masking removes).</summary>
    public static bool[,] Mask(int gridSize, double maskRatio, Random random, int minTokens = 4, double minAspect = 0.3)
    {
        int l = gridSize * gridSize;
        int target = l - RandomMasking.KeepCount(l, maskRatio);
        var mask = new bool[gridSize, gridSize];
        int count = 0, failures = 0;
        double logAspectMin = Math.Log(minAspect), logAspectMax = Math.Log(1 / minAspect);
        while (count < target && failures < 100)
        {
            // one rectangle of s tokens with a random aspect ratio, placed at random
            int maxTokens = target - count;
            int wanted = random.Next(Math.Min(minTokens, maxTokens), maxTokens + 1);
            double aspect = Math.Exp(logAspectMin + random.NextDouble() * (logAspectMax - logAspectMin));
            int h = (int)Math.Round(Math.Sqrt(wanted * aspect)), w = (int)Math.Round(Math.Sqrt(wanted / aspect));
            if (h < 1 || w < 1 || h > gridSize || w > gridSize) { failures++; continue; }
            int top = random.Next(gridSize - h + 1), left = random.Next(gridSize - w + 1);
            int added = 0, fresh = 0;
            for (int r = top; r < top + h; r++)
                for (int c = left; c < left + w; c++)
                    if (!mask[r, c]) fresh++;
            if (fresh == 0 || fresh > maxTokens) { failures++; continue; }
            for (int r = top; r < top + h; r++)
                for (int c = left; c < left + w; c++)
                    if (!mask[r, c]) { mask[r, c] = true; added++; }
            count += added;
            failures = 0;
        }
        // top up with single tokens so that every sample masks exactly the target count
        while (count < target)
        {
            int r = random.Next(gridSize), c = random.Next(gridSize);
            if (!mask[r, c]) { mask[r, c] = true; count++; }
        }
        return mask;
    }

    /// <summary>Noise [n, g·g]: uniform in [0, 1) for kept tokens, in [1, 2) for masked ones.</summary>
    public static Tensor Noise(int n, int gridSize, double maskRatio, Generator? generator = null)
    {
        // the rectangles are drawn on the CPU from a seed taken from the torch generator
        var seed = (int)randint(int.MaxValue, new long[] { 1 }, generator: generator).item<long>();
        var random = new Random(seed);
        var flags = new float[n * gridSize * gridSize];
        for (int i = 0; i < n; i++)
        {
            var mask = Mask(gridSize, maskRatio, random);
            for (int r = 0; r < gridSize; r++)
                for (int c = 0; c < gridSize; c++)
                    flags[(i * gridSize + r) * gridSize + c] = mask[r, c] ? 1f : 0f;
        }
        return rand(n, gridSize * gridSize, generator: generator) + tensor(flags, new long[] { n, gridSize * gridSize }); // [N, L]
    }
}
