using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Mae.Decoders;

/// <summary>What a decoder hands back.</summary>
/// <param name="Pred">[N, L, p²C] pixel predictions for every patch, in the original order.</param>
/// <param name="Attention">Per decoder block, [N, heads, 1+L, 1+L] (Transformer decoder, when asked).</param>
public sealed record DecoderOutput(Tensor Pred, IReadOnlyList<Tensor> Attention);

/// <summary>
/// The part every MAE decoder shares (models_mae.py, forward_decoder): project the encoder's tokens to
/// the decoder width, put a mask token at every removed position, undo the shuffle, add the fixed
/// position embedding. Visible and mask tokens both enter the decoder body. Parameter names are the
/// official ones: decoder_embed, mask_token, decoder_pos_embed.
/// </summary>
public abstract class MaeDecoder : Module
{
    protected readonly Linear decoder_embed;
    protected readonly Parameter mask_token;
    protected readonly Parameter decoder_pos_embed;

    protected MaeDecoder(string name, MaeConfig config) : base(name)
    {
        Config = config;
        decoder_embed = Init.Linear(config.Encoder.Width, config.DecoderWidth);
        mask_token = Parameter(zeros(1, 1, config.DecoderWidth));
        decoder_pos_embed = Parameter(PosEmbed.SinCos2D(config.DecoderWidth, config.Encoder.GridSize, clsToken: true).unsqueeze(0), requires_grad: false);
    }

    public MaeConfig Config { get; }

    /// <summary>Call at the end of a subclass's constructor: registers all fields, then MAE's initialisation.</summary>
    protected void Initialise()
    {
        RegisterComponents();
        Init.MaeWeights(this);
        using (no_grad()) Init.Normal(mask_token, 0.02);
    }

    /// <summary>Decodes the encoder output [N, 1+K, D] back to pixels of all L patches.</summary>
    public abstract DecoderOutput Forward(Tensor latent, Tensor idsRestore, bool returnAttention = false);

    /// <summary>The full decoder sequence: cls, then all L positions in order, [N, 1+L, Dd].</summary>
    protected Tensor Unshuffle(Tensor latent, Tensor idsRestore)
    {
        Shapes.Tokens(latent, null, Config.Encoder.Width, nameof(latent));
        long n = latent.shape[0], l = idsRestore.shape[1], d = Config.DecoderWidth;
        if (idsRestore.dim() != 2 || idsRestore.shape[0] != n || l != Config.Encoder.NumPatches || latent.shape[1] > l + 1)
            throw new ArgumentException($"idsRestore must be [{n}, {Config.Encoder.NumPatches}], got {Shapes.Of(idsRestore)}.");

        // embed the visible tokens and append a mask token for each removed one
        var x = decoder_embed.forward(latent);                                           // [N, 1+K, Dd]
        var maskTokens = mask_token.expand(n, l + 1 - x.shape[1], d);                    // [N, L-K, Dd]
        var shuffled = cat(new[] { x[.., 1.., ..], maskTokens }, dim: 1);                // [N, L, Dd]

        // undo the shuffle, put the cls token back, add positions
        var ordered = shuffled.gather(1, idsRestore.unsqueeze(-1).expand(-1, -1, d));   // [N, L, Dd]
        return cat(new[] { x[.., ..1, ..], ordered }, dim: 1) + decoder_pos_embed;       // [N, 1+L, Dd]
    }

    /// <summary>Patch tokens [N, 1+L, Dd] (cls dropped) laid out on the grid: [N, Dd, g, g].</summary>
    protected Tensor ToGrid(Tensor tokens)
    {
        long n = tokens.shape[0], g = Config.Encoder.GridSize;
        return tokens[.., 1.., ..].transpose(1, 2).reshape(n, tokens.shape[2], g, g);   // [N, Dd, g, g]
    }

    /// <summary>Builds the decoder the config names.</summary>
    public static MaeDecoder Create(MaeConfig config) => config.Decoder switch
    {
        DecoderKind.Transformer => new TransformerDecoder(config),
        DecoderKind.WeightedAverage => new WeightedAverageDecoder(config),
        DecoderKind.Conv => new ConvDecoder(config),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Decoder, "Unknown decoder kind."),
    };
}
