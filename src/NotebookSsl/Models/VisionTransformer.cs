using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>What an encoder pass hands back: the normed tokens and, when asked, per-layer extras.</summary>
/// <param name="Latent">[N, 1+T, D]: the cls token then the T tokens that went in, after the final norm.</param>
/// <param name="Attention">Per block, the softmax maps [N, heads, 1+T, 1+T] (empty unless asked for).</param>
/// <param name="Hidden">Per block, its output [N, 1+T, D] before the final norm (empty unless asked for).</param>
public sealed record EncoderOutput(Tensor Latent, IReadOnlyList<Tensor> Attention, IReadOnlyList<Tensor> Hidden);

/// <summary>
/// The ViT encoder of MAE (models_mae.py): conv patch embedding, cls token, fixed 2-D sin-cos position
/// embedding, pre-norm blocks, final LayerNorm. Parameter names are the official ones
/// (patch_embed.proj.weight, cls_token, pos_embed, blocks.0.attn.qkv.weight, norm.weight, ...).
/// </summary>
public sealed class VisionTransformer : Module<Tensor, Tensor>
{
    readonly PatchEmbed patch_embed;
    readonly Parameter cls_token;
    readonly Parameter pos_embed;
    readonly ModuleList<Block> blocks = new();
    readonly LayerNorm norm;

    public VitConfig Config { get; }

    public VisionTransformer(VitConfig config) : base(nameof(VisionTransformer))
    {
        Config = config.Validate();
        patch_embed = new PatchEmbed(config);
        cls_token = Parameter(zeros(1, 1, config.Width));
        pos_embed = Parameter(PosEmbed.SinCos2D(config.Width, config.GridSize, clsToken: true).unsqueeze(0), requires_grad: false); // [1, 1+L, D]
        for (int i = 0; i < config.Depth; i++) blocks.Add(new Block(config.Width, config.Heads, config.MlpRatio));
        norm = LayerNorm(config.Width, eps: 1e-6);
        RegisterComponents();
        Init.MaeWeights(this);
        using (no_grad()) Init.Normal(cls_token, 0.02);
    }

    /// <summary>Patch tokens with their position embedding, no cls token: [N, L, D].</summary>
    public Tensor EmbedPatches(Tensor images) =>
        patch_embed.forward(images) + pos_embed[.., 1.., ..];     // [N, L, D]

    /// <summary>Prepends the cls token (with its position embedding, zeros) and runs the blocks and norm.</summary>
    /// <param name="tokens">[N, T, D] patch tokens, already position-embedded (all L of them, or the visible ones).</param>
    /// <param name="applyNorm">Apply the final LayerNorm (off for MAE's global-pool fine-tuning, which has its own fc_norm).</param>
    public EncoderOutput Encode(Tensor tokens, bool returnAttention = false, bool returnHidden = false, bool applyNorm = true)
    {
        Shapes.Tokens(tokens, null, Config.Width, nameof(tokens));

        // prepend the cls token
        var cls = (cls_token + pos_embed[.., ..1, ..]).expand(tokens.shape[0], -1, -1); // [N, 1, D]
        var x = cat(new[] { cls, tokens }, dim: 1);                                     // [N, 1+T, D]

        // the blocks, keeping maps and hidden states if asked
        var maps = new List<Tensor>();
        var hidden = new List<Tensor>();
        foreach (var block in blocks)
        {
            (x, var map) = block.Forward(x, returnAttention);
            if (map is not null) maps.Add(map);
            if (returnHidden) hidden.Add(x.detach());
        }
        return new EncoderOutput(applyNorm ? norm.forward(x) : x, maps, hidden);        // [N, 1+T, D]
    }

    /// <summary>All patches, no masking: [N, 1+L, D].</summary>
    public override Tensor forward(Tensor images) => Encode(EmbedPatches(images)).Latent;

    /// <summary>All patches, no masking, with the attention maps and hidden states of every block.</summary>
    public EncoderOutput ForwardFeatures(Tensor images, bool returnAttention = false, bool returnHidden = false) =>
        Encode(EmbedPatches(images), returnAttention, returnHidden);
}
