using TorchSharp;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Average relative attention map (lc-mae-uni-ssl, Fig. 2): each query token's attention over the g x g key grid,
/// shifted so that the query's own grid cell lands on the centre of a (2g-1) x (2g-1) canvas, averaged over
/// query tokens, heads and images. Canvas cell (g-1+dr, g-1+dc) holds the mean weight on the key dr rows below and
/// dc columns right of the query. Meant for an MAE decoder, whose sequence after the cls token is the full grid in
/// row-major order (so the query's token index is its grid index); queries are usually the mask tokens.
/// <para>
/// The cls key column is dropped and, with <c>renormalize: true</c> (the default, as in Walmer et al. 2023,
/// AvgAlignedAttentionOnToken), each query's patch weights are divided by their sum, so the canvas sums to 1.
/// With <c>renormalize: false</c> the canvas sums to 1 minus the mean cls share.
/// </para>
/// <para>Accumulates over batches (<see cref="Add(Tensor, Tensor)"/>); <see cref="Mean"/> is the average so far.</para>
/// </summary>
public sealed class RelativeAttentionMap
{
    readonly int grid;
    readonly int cls;
    readonly bool renormalize;
    readonly double[] canvas; // [(2g-1) * (2g-1)] summed weights
    long maps;                // number of (image, query) maps added; heads are averaged first

    /// <summary>Side of the canvas, 2g - 1.</summary>
    public int Side => 2 * grid - 1;

    /// <summary>Number of (image, query token) maps averaged so far.</summary>
    public long Count => maps;

    /// <param name="gridSize">g: the decoder sequence holds g x g patch tokens (after cls if any).</param>
    /// <param name="hasCls">Whether index 0 of queries and keys is the cls token.</param>
    /// <param name="renormalize">Renormalise each query's patch weights to sum to 1 after dropping cls.</param>
    public RelativeAttentionMap(int gridSize, bool hasCls = true, bool renormalize = true)
    {
        if (gridSize < 1) throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, "the grid side must be at least 1.");
        grid = gridSize;
        cls = hasCls ? 1 : 0;
        this.renormalize = renormalize;
        canvas = new double[Side * Side];
    }

    /// <summary>Adds attention <c>[B, H, c+g*g, c+g*g]</c> with the same query tokens (grid indices) for every image.</summary>
    public void Add(Tensor attention, IReadOnlyList<long> queryIds)
    {
        AttentionMaps.RequireAttention(attention, nameof(attention));
        ArgumentNullException.ThrowIfNull(queryIds);
        AttentionMaps.RequireTokenIds(queryIds, (long)grid * grid, nameof(queryIds));
        using var scope = NewDisposeScope();
        var ids = tensor(queryIds.ToArray(), dtype: int64).unsqueeze(0).expand(attention.shape[0], queryIds.Count); // [B, k]
        Add(attention, ids);
    }

    /// <summary>Adds attention <c>[B, H, c+g*g, c+g*g]</c> with per-image query tokens <c>queryIds [B, k]</c> (grid indices).</summary>
    public void Add(Tensor attention, Tensor queryIds)
    {
        AttentionMaps.RequireAttention(attention, nameof(attention));
        ArgumentNullException.ThrowIfNull(queryIds);
        long cells = (long)grid * grid;
        long batch = attention.shape[0], queries = attention.shape[2], keys = attention.shape[3];
        if (queries != cls + cells || keys != cls + cells)
            throw new ArgumentException(
                $"attention must be [B, H, {cls + cells}, {cls + cells}] for a {grid}x{grid} grid{(cls == 1 ? " plus cls" : "")}, "
                + $"got {Shapes.Of(attention)}.", nameof(attention));

        using var scope = NewDisposeScope();
        var ids = AttentionMaps.RequireIdTensor(queryIds, batch, -1, cells, attention.device, nameof(queryIds)); // [B, k]
        long k = ids.shape[1];
        var averaged = attention.to(float64).mean(new long[] { 1 }); // [B, Q, K]
        var rowIndex = (ids + cls).unsqueeze(-1).expand(batch, k, keys);                     // [B, k, K]
        var weights = averaged.gather(1, rowIndex).narrow(2, cls, cells);                    // [B, k, L]
        if (renormalize) weights = AttentionMaps.Renormalize(weights);                      // [B, k, L]

        // Canvas index of key cell (i, j) seen from query cell (r, c): (i - r + g - 1) * side + (j - c + g - 1).
        long side = Side;
        var cell = arange(cells, dtype: int64, device: attention.device);                    // [L]
        var keyOffset = cell.div(grid, rounding_mode: RoundingMode.floor) * side + cell.remainder(grid); // [L]
        var queryOffset = ids.div(grid, rounding_mode: RoundingMode.floor) * side + ids.remainder(grid);  // [B, k]
        var index = keyOffset.view(1, 1, cells) - queryOffset.unsqueeze(-1) + (grid - 1) * (side + 1); // [B, k, L]
        var summed = zeros(side * side, dtype: float64, device: attention.device)
            .scatter_add_(0, index.reshape(-1), weights.reshape(-1)).cpu();                  // [side * side]

        var data = summed.data<double>().ToArray();
        for (int i = 0; i < canvas.Length; i++) canvas[i] += data[i];
        maps += batch * k;
    }

    /// <summary>The average relative map so far, <c>double[2g-1, 2g-1]</c>; the query's own cell is [g-1, g-1].</summary>
    public double[,] Mean
    {
        get
        {
            if (maps == 0) throw new InvalidOperationException("no attention added yet.");
            var result = new double[Side, Side];
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                    result[r, c] = canvas[r * Side + c] / maps;
            return result;
        }
    }

    /// <summary>The average relative map of one batch, attention <c>[B, H, c+g*g, c+g*g]</c>.</summary>
    public static double[,] Compute(Tensor attention, IReadOnlyList<long> queryIds, int gridSize, bool hasCls = true, bool renormalize = true)
    {
        var measure = new RelativeAttentionMap(gridSize, hasCls, renormalize);
        measure.Add(attention, queryIds);
        return measure.Mean;
    }

    /// <summary>
    /// The centred <paramref name="size"/> x <paramref name="size"/> window of a relative map (size odd, at most the
    /// map's side) and the fraction of the map's total mass inside it (NaN when the map's total is 0).
    /// </summary>
    public static (double[,] Window, double Fraction) CentreWindow(double[,] map, int size)
    {
        ArgumentNullException.ThrowIfNull(map);
        int rowsN = map.GetLength(0), colsN = map.GetLength(1);
        if (rowsN != colsN || rowsN % 2 == 0)
            throw new ArgumentException($"a relative map is square with an odd side, got {rowsN} x {colsN}.", nameof(map));
        if (size < 1 || size % 2 == 0 || size > rowsN)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the window side must be odd and in [1, {rowsN}].");
        int start = (rowsN - size) / 2;
        var window = new double[size, size];
        double inside = 0, total = 0;
        for (int r = 0; r < rowsN; r++)
            for (int c = 0; c < colsN; c++)
            {
                total += map[r, c];
                int wr = r - start, wc = c - start;
                if (wr >= 0 && wr < size && wc >= 0 && wc < size)
                {
                    window[wr, wc] = map[r, c];
                    inside += map[r, c];
                }
            }
        return (window, total == 0 ? double.NaN : inside / total);
    }
}
