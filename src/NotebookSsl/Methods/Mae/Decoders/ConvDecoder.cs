using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Mae.Decoders;

/// <summary>The conv decoder of lc-mae-uni-ssl.md, Table 1 (c): one k×k convolution on the token grid, straight to pixels.</summary>
public sealed class ConvDecoder : MaeDecoder
{
    readonly Conv2d decoder_conv;

    public ConvDecoder(MaeConfig config) : base(nameof(ConvDecoder), config)
    {
        decoder_conv = Init.Conv2d(config.DecoderWidth, config.Encoder.PatchDim, config.LocalKernel, padding: config.LocalKernel / 2);
        Initialise();
    }

    public override DecoderOutput Forward(Tensor latent, Tensor idsRestore, bool returnAttention = false)
    {
        var grid = ToGrid(Unshuffle(latent, idsRestore));              // [N, Dd, g, g]
        var pixels = decoder_conv.forward(grid);                        // [N, p²C, g, g]
        return new DecoderOutput(pixels.flatten(2).transpose(1, 2), Array.Empty<Tensor>()); // [N, L, p²C]
    }
}
