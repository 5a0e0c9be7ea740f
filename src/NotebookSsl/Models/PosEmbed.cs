using static TorchSharp.torch;

namespace NotebookSsl.Models;

/// <summary>
/// The fixed 2-D sine-cosine position embedding of MAE (util/pos_embed.py, get_2d_sincos_pos_embed).
/// As in the official code, the first half of each vector encodes the column (the meshgrid puts w
/// first), the second half the row; with a cls token, row 0 is zeros.
/// </summary>
public static class PosEmbed
{
    /// <summary>[g*g (+1), dim] float32, row-major over the g×g grid.</summary>
    public static Tensor SinCos2D(int dim, int gridSize, bool clsToken)
    {
        if (dim % 4 != 0) throw new ArgumentException($"The 2-D sin-cos embedding needs a width divisible by 4, got {dim}.");
        int half = dim / 2, quarter = dim / 4, l = gridSize * gridSize, offset = clsToken ? 1 : 0;
        var table = new float[(l + offset) * dim];
        for (int r = 0; r < gridSize; r++)
            for (int c = 0; c < gridSize; c++)
            {
                int row = (offset + r * gridSize + c) * dim;
                for (int i = 0; i < quarter; i++)
                {
                    // omega_i = 1 / 10000^(i / (dim/4)), computed in float64 as numpy does
                    double omega = 1.0 / Math.Pow(10000.0, i / (double)quarter);
                    table[row + i] = (float)Math.Sin(c * omega);                  // emb_h (grid[0] = w)
                    table[row + quarter + i] = (float)Math.Cos(c * omega);
                    table[row + half + i] = (float)Math.Sin(r * omega);           // emb_w (grid[1] = h)
                    table[row + half + quarter + i] = (float)Math.Cos(r * omega);
                }
            }
        return tensor(table, new long[] { l + offset, dim });
    }
}
