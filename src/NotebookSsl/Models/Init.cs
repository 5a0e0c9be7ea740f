using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>MAE's initialize_weights: xavier-uniform Linear and patch-embed weights, zero biases, LayerNorm 1/0.</summary>
internal static class Init
{
    public static void MaeWeights(Module root)
    {
        using var _ = no_grad();
        foreach (var (_, module) in root.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    init.xavier_uniform_(linear.weight!);
                    if (linear.bias is { } b) init.zeros_(b);
                    break;
                case LayerNorm layerNorm:
                    init.ones_(layerNorm.weight!);
                    init.zeros_(layerNorm.bias!);
                    break;
                case PatchEmbed patchEmbed:
                    // like nn.Linear: xavier on the weight viewed as [D, C*p*p]
                    var w = patchEmbed.Proj.weight!;
                    init.xavier_uniform_(w.view(w.shape[0], -1));
                    break;
            }
        }
    }
}
