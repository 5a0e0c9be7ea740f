using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Mean attention distance (Dosovitskiy et al. 2021; Raghu et al. 2021, "Do Vision Transformers See Like CNNs?";
/// Fig. 3 and 5 of lc-mae-uni-ssl): for each query patch, the attention-weighted mean Euclidean distance in
/// PIXELS between its centre and the key patches' centres, averaged over query patches and images, per head.
/// <para>
/// Patch token t of a g x g grid sits at (row, col) = (t / g, t % g) (row-major, as ViT's patchify), its centre at
/// (row, col) * patchSize pixels (an offset common to all centres cancels in distances).
/// </para>
/// <para>
/// The cls token: its query row is dropped, and so is its key column. With <c>renormalize: true</c> (the default)
/// each query's remaining weights are divided by their sum, so the result is the mean distance under the
/// attention distribution restricted to patches (as in Walmer et al. 2023, "Teaching Matters", metrics.py
/// AttentionDistance); a query with all its mass on cls counts as distance 0. With <c>renormalize: false</c> the
/// weights are used as they are, i.e. mass on cls counts as distance 0 (as in the widely copied Keras
/// "Probing ViTs" / compute_mean_attention_dist code): values are then smaller by the cls share.
/// </para>
/// </summary>
public static class AttentionDistance
{
    /// <summary>
    /// Per-head mean attention distance in pixels of one layer's self-attention <c>[B, H, c+n, c+n]</c>
    /// (c = 1 with <paramref name="hasCls"/>), averaged over the n patch queries and the B images -> <c>double[H]</c>.
    /// </summary>
    /// <param name="attention">Softmax attention <c>[B, H, Q, K]</c> with Q == K (self-attention).</param>
    /// <param name="gridSize">g: the image is a g x g grid of patches.</param>
    /// <param name="patchSize">Patch side in pixels.</param>
    /// <param name="hasCls">Whether index 0 of queries and keys is the cls token.</param>
    /// <param name="ids">
    /// Optional <c>[B, n]</c> grid index (0 .. g*g-1) of each patch token, for when the layer sees only a subset
    /// of the grid (the MAE encoder sees the kept tokens: pass <c>ids_keep</c>). Without it the n = g*g patch
    /// tokens are the whole grid in row-major order.
    /// </param>
    /// <param name="renormalize">Renormalise each query's patch-key weights to sum to 1 (see the class remarks).</param>
    public static double[] PerHead(Tensor attention, int gridSize, int patchSize, bool hasCls = true,
                                   Tensor? ids = null, bool renormalize = true)
    {
        AttentionMaps.RequireAttention(attention, nameof(attention));
        RequireGrid(gridSize, patchSize);
        long batch = attention.shape[0], queries = attention.shape[2], keys = attention.shape[3];
        if (queries != keys)
            throw new ArgumentException($"attention distance needs self-attention with Q == K, got Q = {queries}, K = {keys}.", nameof(attention));
        int c = hasCls ? 1 : 0;
        long n = queries - c;
        if (n < 1) throw new ArgumentException("attention has no patch token besides the cls token.", nameof(attention));
        long cells = (long)gridSize * gridSize;

        using var scope = NewDisposeScope();
        Tensor positions; // [B, n] grid index of each patch token
        if (ids is null)
        {
            if (n != cells)
                throw new ArgumentException(
                    $"attention has {n} patch tokens{(hasCls ? " (after the cls token)" : "")} but a {gridSize}x{gridSize} grid has {cells}; "
                    + "pass ids [B, n] with each token's grid index when only a subset of tokens is present.", nameof(attention));
            positions = arange(n, dtype: int64, device: attention.device).unsqueeze(0).expand(batch, n); // [B, n]
        }
        else
        {
            positions = AttentionMaps.RequireIdTensor(ids, batch, n, cells, attention.device, nameof(ids)); // [B, n]
        }

        var weights = attention.narrow(2, c, n).narrow(3, c, n).to(float64); // [B, H, n, n]
        if (renormalize) weights = AttentionMaps.Renormalize(weights);        // [B, H, n, n]
        var distances = PairwiseDistances(positions, gridSize, patchSize);    // [B, n, n]
        var perQuery = (weights * distances.unsqueeze(1)).sum(-1);            // [B, H, n]
        var perHead = perQuery.mean(new long[] { 0, 2 }).cpu(); // [H]
        return perHead.data<double>().ToArray();
    }

    /// <summary>
    /// <see cref="PerHead"/> for every layer of a list -> <c>double[layers, H]</c> (row l = layer l). All layers
    /// must have the same number of heads; <paramref name="ids"/> applies to every layer.
    /// </summary>
    public static double[,] PerLayer(IReadOnlyList<Tensor> layers, int gridSize, int patchSize, bool hasCls = true,
                                     Tensor? ids = null, bool renormalize = true)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("no layer given.", nameof(layers));
        var rows = new double[layers.Count][];
        for (int l = 0; l < layers.Count; l++)
        {
            try { rows[l] = PerHead(layers[l], gridSize, patchSize, hasCls, ids, renormalize); }
            catch (ArgumentException e) { throw new ArgumentException($"layer {l}: {e.Message}", nameof(layers), e); }
            if (rows[l].Length != rows[0].Length)
                throw new ArgumentException($"layer {l} has {rows[l].Length} heads, layer 0 has {rows[0].Length}.", nameof(layers));
        }
        var result = new double[layers.Count, rows[0].Length];
        for (int l = 0; l < rows.Length; l++)
            for (int h = 0; h < rows[l].Length; h++)
                result[l, h] = rows[l][h];
        return result;
    }

    /// <summary>Pixel distances between all patch centres of a g x g grid: <c>[g*g, g*g]</c> float64.</summary>
    public static Tensor DistanceMatrix(int gridSize, int patchSize)
    {
        RequireGrid(gridSize, patchSize);
        using var scope = NewDisposeScope();
        var positions = arange((long)gridSize * gridSize, dtype: int64).unsqueeze(0); // [1, L]
        return PairwiseDistances(positions, gridSize, patchSize).squeeze(0).MoveToOuterDisposeScope(); // [L, L]
    }

    /// <summary>Distances in pixels between grid cells: positions <c>[B, n]</c> -> <c>[B, n, n]</c> float64.</summary>
    internal static Tensor PairwiseDistances(Tensor positions, int gridSize, int patchSize)
    {
        var p = positions.to(float64);                    // [B, n]
        var row = (p / gridSize).floor();                 // [B, n]
        var col = p - row * gridSize;                     // [B, n]
        var dr = row.unsqueeze(2) - row.unsqueeze(1);     // [B, n, n]
        var dc = col.unsqueeze(2) - col.unsqueeze(1);     // [B, n, n]
        return (dr * dr + dc * dc).sqrt() * patchSize;    // [B, n, n]
    }

    static void RequireGrid(int gridSize, int patchSize)
    {
        if (gridSize < 1) throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, "the grid side must be at least 1.");
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "the patch size must be at least 1 pixel.");
    }

    /// <summary>
    /// Mean attention distance in pixels of every block of <paramref name="encoder"/> on full images (no
    /// masking), averaged over heads, query patches and images: <c>double[depth]</c>.
    /// </summary>
    public static double[] OfEncoder(VisionTransformer encoder, Tensor images, int batchSize = 64)
        => EvalBatches.HeadMean(OfEncoderPerHead(encoder, images, batchSize));

    /// <summary>As <see cref="OfEncoder"/>, per head: <c>double[depth, heads]</c>.</summary>
    public static double[,] OfEncoderPerHead(VisionTransformer encoder, Tensor images, int batchSize = 64)
    {
        Shapes.Image(images, encoder.Config);
        var cfg = encoder.Config;
        var total = new double[cfg.Depth, cfg.Heads];
        EvalBatches.ForEach(encoder, images, batchSize, (batch, weight) =>
        {
            var maps = encoder.ForwardFeatures(batch, returnAttention: true).Attention;            // per layer [B, h, 1+L, 1+L]
            EvalBatches.Accumulate(total, PerLayer(maps, cfg.GridSize, cfg.PatchSize), weight);
        });
        return total;
    }

    /// <summary>
    /// Attention distance of the MAE encoder on its visible tokens only (positions from IdsKeep), per block,
    /// for comparison with <see cref="OfEncoder"/>: the paper (lc-mae-uni-ssl Fig. 3) does not say which it
    /// measures; its comparison with DINO and DeiT, which never see masks, implies full images.
    /// </summary>
    /// <remarks>Random masks from <paramref name="maskSeed"/>.</remarks>
    public static double[] OfMaskedEncoder(MaskedAutoencoder mae, Tensor images, int maskSeed = 0, int batchSize = 64)
    {
        Shapes.Image(images, mae.Config.Encoder);
        var cfg = mae.Config.Encoder;
        var total = new double[cfg.Depth, cfg.Heads];
        var generator = new Generator((ulong)maskSeed);
        EvalBatches.ForEach(mae, images, batchSize, (batch, weight) =>
        {
            var output = mae.Forward(batch, generator: generator, returnAttention: true);
            EvalBatches.Accumulate(total, PerLayer(output.EncoderAttention, cfg.GridSize, cfg.PatchSize, ids: output.IdsKeep), weight);
        });
        return EvalBatches.HeadMean(total);
    }
}
