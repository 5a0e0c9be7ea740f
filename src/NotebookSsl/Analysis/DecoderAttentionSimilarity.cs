using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Decoder attention similarity S_l (lc-mae-uni-ssl, Eq. 3, Fig. 1a). Every image is masked with the SAME mask;
/// for image i, A_i is the attention of the k mask tokens (queries) over the n patch keys in all h heads of one
/// decoder layer, a k x h x n tensor. S_l is the mean of cos(A_i, A_j) over all ordered pairs i != j, which equals
/// the mean over unordered pairs i &lt; j (cosine is symmetric).
/// <para>
/// Following the paper, the default flattens the whole k x h x n tensor into one vector per image
/// (<see cref="SimilarityMode.WholeMap"/>). <see cref="SimilarityMode.PerToken"/> instead compares each mask
/// token's h x n map separately and averages the per-token S over the k tokens.
/// </para>
/// <para>
/// Keys: the paper's n is the number of patches, so the cls key column is dropped by default
/// (<c>includeClsKey: false</c>); the weights are NOT renormalised (cosine compares the raw softmax weights).
/// </para>
/// <para>
/// The mean over pairs needs only the sum of the unit vectors: with u_i = a_i / |a_i| and s = sum_i u_i,
/// sum_{i != j} cos(a_i, a_j) = |s|^2 - sum_i |u_i|^2. So the measure accumulates over batches in memory of one
/// map (<see cref="Add"/>), and any number of images can be averaged. An all-zero map (impossible for softmax
/// weights) has cosine 0 with every other map.
/// </para>
/// </summary>
public sealed class DecoderAttentionSimilarity
{
    /// <summary>How the attention maps of one image are compared.</summary>
    public enum SimilarityMode
    {
        /// <summary>The paper's: one vector per image of all mask tokens x heads x keys.</summary>
        WholeMap,
        /// <summary>One vector per mask token (heads x keys); S averaged over mask tokens.</summary>
        PerToken,
    }

    readonly long[] rows;
    readonly int cls;
    readonly bool includeClsKey;
    double[]? unitSum;  // [T * D] sum of unit vectors, T = 1 (WholeMap) or k (PerToken)
    double[]? unitSq;   // [T] sum of squared norms of the unit vectors (1 per nonzero map)
    long keyCount = -1, headCount = -1, queryCount = -1;

    /// <summary>The mode the maps are compared in.</summary>
    public SimilarityMode Mode { get; }

    /// <summary>Number of images added so far.</summary>
    public long Count { get; private set; }

    /// <param name="maskIds">Grid indices of the mask tokens (the one fixed mask), i.e. patch-token indices in the
    /// decoder sequence, which MAE restores to grid order. Distinct, non-negative.</param>
    /// <param name="hasCls">Whether index 0 of queries and keys is the cls token.</param>
    /// <param name="mode">See <see cref="SimilarityMode"/>.</param>
    /// <param name="includeClsKey">Keep the cls key column in the maps (the paper's n counts patches only).</param>
    public DecoderAttentionSimilarity(IReadOnlyList<long> maskIds, bool hasCls = true,
                                      SimilarityMode mode = SimilarityMode.WholeMap, bool includeClsKey = false)
    {
        ArgumentNullException.ThrowIfNull(maskIds);
        if (maskIds.Count == 0) throw new ArgumentException("at least one mask token index is needed.", nameof(maskIds));
        if (maskIds.Any(i => i < 0)) throw new ArgumentException("mask token indices must be non-negative.", nameof(maskIds));
        if (maskIds.Distinct().Count() != maskIds.Count) throw new ArgumentException("mask token indices must be distinct.", nameof(maskIds));
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown similarity mode.");
        cls = hasCls ? 1 : 0;
        rows = maskIds.Select(i => i + cls).ToArray();
        this.includeClsKey = includeClsKey;
        Mode = mode;
    }

    /// <summary>
    /// Adds the attention <c>[B, H, Q, K]</c> of one decoder layer for B images, all masked with the mask given
    /// to the constructor. Every call must have the same H, Q and K.
    /// </summary>
    public void Add(Tensor attention)
    {
        AttentionMaps.RequireAttention(attention, nameof(attention));
        long batch = attention.shape[0], heads = attention.shape[1], queries = attention.shape[2], keys = attention.shape[3];
        long maxRow = rows.Max();
        if (maxRow >= queries)
            throw new ArgumentException($"mask token index {maxRow - cls} needs query row {maxRow}, but attention has {queries} queries.", nameof(attention));
        long firstKey = includeClsKey ? 0 : cls;
        long n = keys - firstKey;
        if (n < 1) throw new ArgumentException("attention has no patch key.", nameof(attention));
        if (Count > 0 && (heads != headCount || queries != queryCount || keys != keyCount))
            throw new ArgumentException(
                $"attention is [B, {heads}, {queries}, {keys}] but earlier batches were [B, {headCount}, {queryCount}, {keyCount}].", nameof(attention));

        using var scope = NewDisposeScope();
        long k = rows.Length;
        var rowIndex = tensor(rows, dtype: int64, device: attention.device);                  // [k]
        var maps = attention.index_select(2, rowIndex).narrow(3, firstKey, n).to(float64);    // [B, H, k, n]
        maps = maps.permute(0, 2, 1, 3);                                                       // [B, k, H, n]
        var vectors = Mode == SimilarityMode.WholeMap
            ? maps.reshape(batch, 1, k * heads * n)                                            // [B, 1, D]
            : maps.reshape(batch, k, heads * n);                                               // [B, k, D]
        var norms = vectors.norm(-1, keepdim: true);                                           // [B, T, 1]
        var units = vectors / norms.masked_fill(norms.eq(0), 1.0);                             // [B, T, D]
        var sum = units.sum(0L).cpu();                                                          // [T, D]
        var sq = (units * units).sum(new long[] { 0, 2 }).cpu(); // [T]

        var sumData = sum.data<double>().ToArray();
        var sqData = sq.data<double>().ToArray();
        if (unitSum is null || unitSq is null)
        {
            unitSum = sumData;
            unitSq = sqData;
        }
        else
        {
            for (int i = 0; i < unitSum.Length; i++) unitSum[i] += sumData[i];
            for (int i = 0; i < unitSq.Length; i++) unitSq[i] += sqData[i];
        }
        headCount = heads; queryCount = queries; keyCount = keys;
        Count += batch;
    }

    /// <summary>S_l over all images added so far (needs at least 2).</summary>
    public double Value
    {
        get
        {
            if (Count < 2 || unitSum is null || unitSq is null)
                throw new InvalidOperationException($"S_l needs at least 2 images, {Count} added.");
            int tokens = unitSq.Length, dim = unitSum.Length / tokens;
            double pairs = (double)Count * (Count - 1), total = 0;
            for (int t = 0; t < tokens; t++)
            {
                double s2 = 0;
                for (int d = 0; d < dim; d++) { var v = unitSum[t * dim + d]; s2 += v * v; }
                total += (s2 - unitSq[t]) / pairs;
            }
            return total / tokens;
        }
    }

    /// <summary>S_l of one batch of B &gt;= 2 images, attention <c>[B, H, Q, K]</c>.</summary>
    public static double Compute(Tensor attention, IReadOnlyList<long> maskIds, bool hasCls = true,
                                 SimilarityMode mode = SimilarityMode.WholeMap, bool includeClsKey = false)
    {
        var measure = new DecoderAttentionSimilarity(maskIds, hasCls, mode, includeClsKey);
        measure.Add(attention);
        if (measure.Count < 2)
            throw new ArgumentException("S_l compares pairs of images: the batch needs at least 2 images.", nameof(attention));
        return measure.Value;
    }

    /// <summary>S_l for every decoder layer of a list -> <c>double[layers]</c>.</summary>
    public static double[] PerLayer(IReadOnlyList<Tensor> layers, IReadOnlyList<long> maskIds, bool hasCls = true,
                                    SimilarityMode mode = SimilarityMode.WholeMap, bool includeClsKey = false)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("no layer given.", nameof(layers));
        var result = new double[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            try { result[l] = Compute(layers[l], maskIds, hasCls, mode, includeClsKey); }
            catch (ArgumentException e) { throw new ArgumentException($"layer {l}: {e.Message}", nameof(layers), e); }
        }
        return result;
    }
}
