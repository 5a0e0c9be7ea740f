using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Mae.Decoders;

/// <summary>
/// The weighted-average decoder of lc-mae-uni-ssl.md, Table 1 (b): each position becomes the average of
/// its k×k token neighbourhood under a fixed 2-D Gaussian (σ in tokens), then one linear layer maps it to
/// pixels. At the border the weights are renormalised over the positions inside the grid, so every
/// output is a true weighted average. Nothing in it is learned but decoder_embed, mask_token and decoder_pred.
/// </summary>
public sealed class WeightedAverageDecoder : MaeDecoder
{
    readonly Linear decoder_pred;
    readonly Tensor averaging;   // [L, L]: row i holds the weights of position i's window, renormalised at the border; not saved

    public WeightedAverageDecoder(MaeConfig config) : base(nameof(WeightedAverageDecoder), config)
    {
        decoder_pred = Init.Linear(config.DecoderWidth, config.Encoder.PatchDim);
        using (var kernel = GaussianKernel(config.LocalKernel, config.LocalSigma))   // [1, 1, k, k], sums to 1
            averaging = AveragingMatrix(kernel, config.Encoder.GridSize);
        register_buffer(nameof(averaging), averaging, persistent: false);
        Initialise();
    }

    /// <summary>A k×k Gaussian with standard deviation σ, normalised to sum 1: [1, 1, k, k].</summary>
    public static Tensor GaussianKernel(int size, double sigma)
    {
        var offsets = arange(size, dtype: ScalarType.Float32) - (size - 1) / 2.0; // [k]
        var g1 = exp(-offsets.pow(2) / (2 * sigma * sigma));                        // [k]
        var g2 = outer(g1, g1);                                                     // [k, k]
        return (g2 / g2.sum()).reshape(1, 1, size, size);
    }

    /// <summary>
    /// The window average as one matrix on the g×g grid, [L, L]: entry (i, j) is the kernel weight of position j
    /// seen from position i, divided by the sum of the weights inside the grid (so every row sums to 1).
    /// </summary>
    public static Tensor AveragingMatrix(Tensor kernel, int gridSize)
    {
        int k = (int)kernel.shape[^1], pad = k / 2, l = gridSize * gridSize;
        var w = kernel.reshape(k, k).to(ScalarType.Float64).data<double>().ToArray();
        var m = new float[l * l];
        for (int i = 0; i < l; i++)
        {
            int r = i / gridSize, c = i % gridSize;
            double total = 0;
            for (int dr = -pad; dr <= pad; dr++)
                for (int dc = -pad; dc <= pad; dc++)
                    if (r + dr >= 0 && r + dr < gridSize && c + dc >= 0 && c + dc < gridSize) total += w[(dr + pad) * k + dc + pad];
            for (int dr = -pad; dr <= pad; dr++)
                for (int dc = -pad; dc <= pad; dc++)
                    if (r + dr >= 0 && r + dr < gridSize && c + dc >= 0 && c + dc < gridSize)
                        m[i * l + (r + dr) * gridSize + c + dc] = (float)(w[(dr + pad) * k + dc + pad] / total);
        }
        return tensor(m).reshape(l, l);                                            // [L, L]
    }

    public override DecoderOutput Forward(Tensor latent, Tensor idsRestore, bool returnAttention = false)
    {
        var tokens = Unshuffle(latent, idsRestore)[.., 1.., ..];                   // [N, L, Dd], cls dropped

        // the same fixed Gaussian over every channel, renormalised at the border: one [L, L] matrix
        var averaged = averaging.to(tokens.device).matmul(tokens);                 // [N, L, Dd]

        // one linear layer to pixels
        return new DecoderOutput(decoder_pred.forward(averaged), Array.Empty<Tensor>()); // [N, L, p²C]
    }
}
