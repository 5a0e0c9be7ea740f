using static TorchSharp.torch;

namespace NotebookSsl.Masking;

/// <summary>How the masked tokens are chosen.</summary>
public enum MaskingKind
{
    /// <summary>Uniformly at random, per sample (MAE).</summary>
    Random,
    /// <summary>Random rectangles of tokens until the target count (BEiT, CAE).</summary>
    Block,
}

/// <summary>
/// Draws the noise that <see cref="RandomMasking.Apply"/> sorts. Random masking is uniform noise; block
/// masking adds 1 to the noise of the tokens inside its rectangles, so exactly those are removed.
/// </summary>
public static class MaskNoise
{
    /// <summary>Noise [n, g·g] for the given strategy.</summary>
    public static Tensor Draw(MaskingKind kind, int n, int gridSize, double maskRatio, Generator? generator = null) => kind switch
    {
        MaskingKind.Random => rand(n, gridSize * gridSize, generator: generator),
        MaskingKind.Block => BlockMasking.Noise(n, gridSize, maskRatio, generator),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown masking kind."),
    };
}
