using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Mae.Decoders;

/// <summary>MAE's decoder: Transformer blocks over all tokens, a norm, a linear map to pixels.</summary>
public sealed class TransformerDecoder : MaeDecoder
{
    readonly ModuleList<Block> decoder_blocks = new();
    readonly LayerNorm decoder_norm;
    readonly Linear decoder_pred;

    public TransformerDecoder(MaeConfig config) : base(nameof(TransformerDecoder), config)
    {
        for (int i = 0; i < config.DecoderDepth; i++)
            decoder_blocks.Add(new Block(config.DecoderWidth, config.DecoderHeads, config.Encoder.MlpRatio));
        decoder_norm = LayerNorm(config.DecoderWidth, eps: 1e-6);
        decoder_pred = Init.Linear(config.DecoderWidth, config.Encoder.PatchDim);
        Initialise();
    }

    public override DecoderOutput Forward(Tensor latent, Tensor idsRestore, bool returnAttention = false)
    {
        var x = Unshuffle(latent, idsRestore);                 // [N, 1+L, Dd]

        // the blocks, keeping the maps if asked
        var maps = new List<Tensor>();
        foreach (var block in decoder_blocks)
        {
            (x, var map) = block.Forward(x, returnAttention);
            if (map is not null) maps.Add(map);               // [N, h, 1+L, 1+L]
        }

        // to pixels, dropping the cls token
        var pred = decoder_pred.forward(decoder_norm.forward(x)); // [N, 1+L, p²C]
        return new DecoderOutput(pred[.., 1.., ..], maps);         // [N, L, p²C]
    }
}
