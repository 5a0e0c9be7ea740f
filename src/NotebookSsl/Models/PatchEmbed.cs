using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>Image to patch tokens by a p×p convolution with stride p (timm's PatchEmbed).</summary>
public sealed class PatchEmbed : Module<Tensor, Tensor>
{
    readonly Conv2d proj;
    readonly VitConfig config;

    public PatchEmbed(VitConfig config) : base(nameof(PatchEmbed))
    {
        this.config = config;
        proj = Init.Conv2d(config.Channels, config.Width, config.PatchSize, stride: config.PatchSize);
        RegisterComponents();
    }

    public Conv2d Proj => proj;

    public override Tensor forward(Tensor images)
    {
        Shapes.Image(images, config);
        return proj.forward(images)    // [N, D, g, g]
            .flatten(2)                 // [N, D, L]
            .transpose(1, 2)            // [N, L, D]
            .contiguous();              // token-major memory: every later op (LayerNorm, Linear, residual adds) keeps this layout
    }
}
