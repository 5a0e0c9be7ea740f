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
    /// <summary>
    /// Noise [n, g·g] for the given strategy. <paramref name="unit"/> &gt; 1 (random masking only) draws the noise on the
    /// (g/unit)² grid of unit×unit token squares and gives every token of a square its square's value (plus a jitter far
    /// below the gaps between squares), so whole squares are kept or removed together, as SimMIM masks 32-px squares of
    /// 4-px patches; only the square at the cut can be split, to keep int(L·(1 − ratio)) tokens exactly.
    /// </summary>
    public static Tensor Draw(MaskingKind kind, int n, int gridSize, double maskRatio, Generator? generator = null, int unit = 1)
    {
        if (unit < 1 || gridSize % unit != 0) throw new ArgumentException($"A mask unit of {unit} tokens must be ≥ 1 and divide the {gridSize}×{gridSize} token grid.", nameof(unit));
        if (unit > 1 && kind != MaskingKind.Random) throw new ArgumentException($"Mask units apply to random masking; {kind} masking draws its own shapes.", nameof(unit));
        return kind switch
        {
            MaskingKind.Random when unit == 1 => rand(n, gridSize * gridSize, generator: generator),
            MaskingKind.Random => Units(n, gridSize, unit, generator),
            MaskingKind.Block => BlockMasking.Noise(n, gridSize, maskRatio, generator),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown masking kind."),
        };
    }

    static Tensor Units(int n, int gridSize, int unit, Generator? generator)
    {
        using var scope = NewDisposeScope();
        int coarse = gridSize / unit;
        var squares = rand(n, coarse, coarse, generator: generator);                     // [N, g/u, g/u]
        var tokens = squares.repeat_interleave(unit, 1).repeat_interleave(unit, 2);         // [N, g, g]
        var jitter = rand(n, gridSize, gridSize, generator: generator) * 1e-6;            // orders the tokens of a square
        return (tokens + jitter).reshape(n, gridSize * gridSize).MoveToOuterDisposeScope(); // [N, L]
    }
}
