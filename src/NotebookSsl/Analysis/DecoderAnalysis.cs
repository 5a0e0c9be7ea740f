using NotebookSsl.Analysis;
using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>One mask token's attention in one decoder layer of one image (Fig. 1b of lc-mae-uni-ssl).</summary>
/// <param name="Image">Index of the image in the batch given.</param>
/// <param name="Token">Grid index of the mask token (row = Token / g, column = Token % g).</param>
/// <param name="Layer">0-based decoder layer.</param>
/// <param name="Map">[g, g] head-averaged attention on the patch keys (not renormalised: with <see cref="ClsWeight"/> it sums to 1).</param>
/// <param name="ClsWeight">Head-averaged attention on the cls key.</param>
public sealed record MaskTokenMap(int Image, long Token, int Layer, double[,] Map, double ClsWeight);

/// <summary>The average relative attention map of one decoder layer (Fig. 2 of lc-mae-uni-ssl).</summary>
/// <param name="Layer">0-based decoder layer.</param>
/// <param name="Map">[2g-1, 2g-1] mean attention of mask tokens on the key (dr, dc) away, centre = the token itself; sums to 1.</param>
/// <param name="Window">Side of the centred window scored (5 for the paper's 5×5).</param>
/// <param name="WindowMass">Fraction of the attention inside the window.</param>
/// <param name="UniformWindowMass">The same fraction for uniform attention over the grid from the same queries: the value with no locality at all.</param>
public sealed record RelativeLayerMap(int Layer, double[,] Map, int Window, double WindowMass, double UniformWindowMass);

/// <summary>
/// The measurements of notebook 01 (lc-mae-uni-ssl §2.2–2.3) on one trained model, as plain arrays a
/// notebook can plot. All run in eval mode without gradients, in batches.
/// <para>
/// Masks: <see cref="FixedMaskNoise"/> draws ONE random mask from a seed and every image gets it (the
/// paper's setting for S_l and Fig. 1b); the relative maps and PSNR use a fresh random mask per image
/// drawn from a seeded generator, as in pretraining.
/// </para>
/// <para>
/// Attention distance of an encoder (Fig. 3): the paper does not say whether the MAE encoder sees the
/// masked or the full image; its reference point (attention distance of ViTs, Dosovitskiy et al.; Raghu
/// et al.) and its comparison with DINO and DeiT, which never see masks, imply full images, and that is
/// what <see cref="AttentionDistance.OfEncoder"/> measures. <see cref="AttentionDistance.OfMaskedEncoder"/> measures
/// the MAE encoder on its visible tokens only (positions from IdsKeep), for comparison.
/// </para>
/// </summary>
public static class DecoderAnalysis
{
    /// <summary>One random mask for every image: noise [n, L], the same row repeated, from <paramref name="seed"/>.</summary>
    public static Tensor FixedMaskNoise(MaeConfig config, int n, int seed)
    {
        var row = MaskNoise.Draw(config.Masking, 1, config.Encoder.GridSize, config.MaskRatio, new Generator((ulong)seed), config.MaskUnit); // [1, L]
        return row.expand(n, -1).contiguous();                                                                            // [n, L]
    }

    /// <summary>Grid indices of the patches the fixed mask of <paramref name="seed"/> removes, ascending.</summary>
    public static long[] FixedMaskIds(MaeConfig config, int seed)
    {
        using var scope = NewDisposeScope();
        var noise = FixedMaskNoise(config, 1, seed);                                    // [1, L]
        int keep = RandomMasking.KeepCount(config.Encoder.NumPatches, config.MaskRatio);
        var removed = argsort(noise, dim: 1)[0, keep..].sort().Values;                  // [L-K]
        return removed.data<long>().ToArray();
    }

    /// <summary>
    /// S_l (Eq. 3) of every decoder layer over all <paramref name="images"/> masked alike: mean cosine
    /// similarity of the mask tokens' attention maps between pairs of images. Needs a Transformer decoder.
    /// </summary>
    public static double[] Similarity(MaskedAutoencoder mae, Tensor images, int maskSeed = 0, int batchSize = 64)
    {
        RequireTransformer(mae);
        Shapes.Image(images, mae.Config.Encoder);
        if (images.shape[0] < 2) throw new ArgumentException($"S_l compares pairs of images: give at least 2, got {images.shape[0]}.", nameof(images));
        var maskIds = FixedMaskIds(mae.Config, maskSeed);
        var measures = Enumerable.Range(0, mae.Config.DecoderDepth).Select(_ => new DecoderAttentionSimilarity(maskIds)).ToArray();
        EvalBatches.ForEach(mae, images, batchSize, (batch, _) =>
        {
            var output = mae.Forward(batch, FixedMaskNoise(mae.Config, (int)batch.shape[0], maskSeed).to(batch.device), returnAttention: true);
            for (int l = 0; l < measures.Length; l++) measures[l].Add(output.DecoderAttention[l]); // [B, h, 1+L, 1+L]
        });
        return measures.Select(m => m.Value).ToArray();
    }

    /// <summary>
    /// Attention maps of a few mask tokens in the given decoder layers (default: first and last) for every
    /// image given (Fig. 1b: two images, layers 1 and 3), all images masked alike by the mask of
    /// <paramref name="maskSeed"/>. Tokens: <paramref name="tokenIds"/> (each must be masked), or
    /// <paramref name="tokens"/> masked tokens spread evenly over the masked ones.
    /// </summary>
    public static IReadOnlyList<MaskTokenMap> MaskTokenMaps(MaskedAutoencoder mae, Tensor images, int maskSeed = 0, int tokens = 3,
        IReadOnlyList<long>? tokenIds = null, IReadOnlyList<int>? layers = null)
    {
        RequireTransformer(mae);
        Shapes.Image(images, mae.Config.Encoder);
        int depth = mae.Config.DecoderDepth, g = mae.Config.Encoder.GridSize;
        layers ??= depth == 1 ? [0] : [0, depth - 1];
        if (layers.Any(l => l < 0 || l >= depth)) throw new ArgumentOutOfRangeException(nameof(layers), $"decoder layers are 0 .. {depth - 1}.");
        var masked = FixedMaskIds(mae.Config, maskSeed);
        if (tokenIds is null)
        {
            if (tokens < 1) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "ask for at least one token.");
            int count = Math.Min(tokens, masked.Length);
            tokenIds = Enumerable.Range(0, count).Select(i => masked[(int)((i + 0.5) * masked.Length / count)]).ToArray();
        }
        else if (tokenIds.FirstOrDefault(t => Array.BinarySearch(masked, t) < 0, -1) is var notMasked and >= 0)
        {
            throw new ArgumentException($"token {notMasked} is not masked by the mask of seed {maskSeed}; masked: [{string.Join(", ", masked)}].", nameof(tokenIds));
        }

        var result = new List<MaskTokenMap>();
        EvalBatches.ForEach(mae, images, batchSize: int.MaxValue, (batch, _) =>
        {
            var output = mae.Forward(batch, FixedMaskNoise(mae.Config, (int)batch.shape[0], maskSeed).to(batch.device), returnAttention: true);
            foreach (var layer in layers)
            {
                var averaged = AttentionMaps.HeadAverage(output.DecoderAttention[layer]).to(float64).cpu(); // [B, 1+L, 1+L]
                for (int image = 0; image < batch.shape[0]; image++)
                    foreach (var token in tokenIds)
                    {
                        var row = averaged[image, token + 1].data<double>().ToArray();                   // [1+L]
                        var map = new double[g, g];
                        for (int k = 0; k < g * g; k++) map[k / g, k % g] = row[k + 1];
                        result.Add(new MaskTokenMap(image, token, layer, map, row[0]));
                    }
            }
        });
        return result;
    }

    /// <summary>
    /// The average relative attention map of the mask tokens in every decoder layer (Fig. 2), over all
    /// <paramref name="images"/> with a fresh random mask each, and the share of attention inside the
    /// centred <paramref name="window"/>×<paramref name="window"/> neighbourhood.
    /// </summary>
    public static IReadOnlyList<RelativeLayerMap> RelativeMaps(MaskedAutoencoder mae, Tensor images, int maskSeed = 0, int window = 5, int batchSize = 64)
    {
        RequireTransformer(mae);
        Shapes.Image(images, mae.Config.Encoder);
        int depth = mae.Config.DecoderDepth, g = mae.Config.Encoder.GridSize, l = g * g;
        int side = 2 * g - 1;
        if (window < 1 || window % 2 == 0 || window > side) throw new ArgumentOutOfRangeException(nameof(window), window, $"the window must be odd and at most {side}.");
        var measures = Enumerable.Range(0, depth).Select(_ => new RelativeAttentionMap(g)).ToArray();
        var uniform = new RelativeAttentionMap(g);
        var generator = new Generator((ulong)maskSeed);
        EvalBatches.ForEach(mae, images, batchSize, (batch, _) =>
        {
            var output = mae.Forward(batch, generator: generator, returnAttention: true);
            long b = batch.shape[0];
            var queries = output.Mask.nonzero()[.., 1].reshape(b, -1);                            // [B, k] grid ids of the mask tokens
            for (int i = 0; i < depth; i++) measures[i].Add(output.DecoderAttention[i], queries);
            uniform.Add(full(b, 1, l + 1, l + 1, 1.0 / (l + 1), dtype: float64), queries.cpu()); // [B, 1, 1+L, 1+L]
        });
        double uniformMass = RelativeAttentionMap.CentreWindow(uniform.Mean, window).Fraction;
        return measures.Select((m, i) =>
        {
            var map = m.Mean;
            return new RelativeLayerMap(i, map, window, RelativeAttentionMap.CentreWindow(map, window).Fraction, uniformMass);
        }).ToArray();
    }

    static void RequireTransformer(MaskedAutoencoder mae)
    {
        ArgumentNullException.ThrowIfNull(mae);
        if (mae.Config.Decoder != DecoderKind.Transformer)
            throw new ArgumentException($"decoder attention needs a Transformer decoder; this MAE has a {mae.Config.Decoder} decoder.", nameof(mae));
    }
}
