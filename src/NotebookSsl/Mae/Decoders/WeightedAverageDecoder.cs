using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Mae.Decoders;

/// <summary>
/// The weighted-average decoder of lc-mae-uni-ssl.md, Table 1 (b): each position becomes the average of
/// its k×k token neighbourhood under a fixed 2-D Gaussian (σ in tokens), then one linear layer maps it to
/// pixels. At the border the weights are renormalised over the positions inside the grid, so every
/// output is a true weighted average. Nothing in it is learned but decoder_embed, mask_token and decoder_pred.
/// </summary>
public sealed class WeightedAverageDecoder : MaeDecoder
{
    readonly Linear decoder_pred;
    readonly Tensor kernel;      // [1, 1, k, k], sums to 1; a fixed buffer, not saved

    public WeightedAverageDecoder(MaeConfig config) : base(nameof(WeightedAverageDecoder), config)
    {
        decoder_pred = Linear(config.DecoderWidth, config.Encoder.PatchDim);
        kernel = GaussianKernel(config.LocalKernel, config.LocalSigma);
        register_buffer(nameof(kernel), kernel, persistent: false);
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

    public override DecoderOutput Forward(Tensor latent, Tensor idsRestore, bool returnAttention = false)
    {
        var grid = ToGrid(Unshuffle(latent, idsRestore));          // [N, Dd, g, g]
        long n = grid.shape[0], d = grid.shape[1], g = grid.shape[2];
        int pad = Config.LocalKernel / 2;

        // the same fixed Gaussian over every channel, renormalised at the border
        var weight = kernel.to(grid.device);
        var summed = functional.conv2d(grid.reshape(n * d, 1, g, g), weight, padding: new long[] { pad, pad }); // [N·Dd, 1, g, g]
        var norm = functional.conv2d(ones(1, 1, g, g, device: grid.device), weight, padding: new long[] { pad, pad }); // [1, 1, g, g]
        var averaged = (summed / norm).reshape(n, d, g * g).transpose(1, 2);  // [N, L, Dd]

        // one linear layer to pixels
        return new DecoderOutput(decoder_pred.forward(averaged), Array.Empty<Tensor>()); // [N, L, p²C]
    }
}
