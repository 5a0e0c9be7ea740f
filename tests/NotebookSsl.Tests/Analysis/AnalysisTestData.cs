using static TorchSharp.torch;

namespace NotebookSsl.Tests.Analysis;

/// <summary>Deterministic test tensors built from System.Random (no global torch seed shared between tests).</summary>
static class AnalysisTestData
{
    /// <summary>Uniform [0, 1) float32 tensor of the given shape.</summary>
    public static Tensor Uniform(Random rng, params long[] shape)
    {
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
        return tensor(data, shape);
    }

    /// <summary>Standard normal float32 tensor (Box-Muller).</summary>
    public static Tensor Normal(Random rng, params long[] shape)
    {
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            data[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return tensor(data, shape);
    }

    /// <summary>A random softmax attention [B, H, Q, K] (rows sum to 1), sharpened so rows differ clearly.</summary>
    public static Tensor RandomAttention(Random rng, long b, long h, long q, long k)
        => (Normal(rng, b, h, q, k) * 2).softmax(-1);

    /// <summary>Row-major float copy of a tensor as double[].</summary>
    public static double[] ToDoubles(Tensor t) => t.to(float64).cpu().contiguous().data<double>().ToArray();

    /// <summary>Pixel distance between the centres of grid cells a and b of a g-wide grid.</summary>
    public static double CellDistance(long a, long b, int grid, int patch)
    {
        double dr = a / grid - b / grid, dc = a % grid - b % grid;
        return patch * Math.Sqrt(dr * dr + dc * dc);
    }
}
