using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Probes;

/// <summary>
/// MAE's fine-tuning head (models_vit.py with global_pool): the encoder's patch tokens averaged, a
/// LayerNorm (fc_norm), a linear classifier (head). As in the official code the encoder's own final
/// norm is not used on this path.
/// </summary>
public sealed class Classifier : Module<Tensor, Tensor>
{
    readonly VisionTransformer encoder;
    readonly LayerNorm fc_norm;
    readonly Linear head;

    public Classifier(VisionTransformer encoder, int numClasses) : base(nameof(Classifier))
    {
        if (numClasses < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {numClasses}.");
        this.encoder = encoder;
        fc_norm = LayerNorm(encoder.Config.Width, eps: 1e-6);
        head = Init.Linear(encoder.Config.Width, numClasses);
        RegisterComponents();
        using var _ = no_grad();
        Init.TruncNormal(head.weight!, 2e-5);   // main_finetune.py
        init.zeros_(head.bias!);
    }

    public VisionTransformer Encoder => encoder;

    public override Tensor forward(Tensor images)
    {
        var tokens = encoder.Encode(encoder.EmbedPatches(images), applyNorm: false).Latent; // [N, 1+L, D]
        var pooled = tokens[.., 1.., ..].mean(new long[] { 1 });                           // [N, D]
        return head.forward(fc_norm.forward(pooled));                                      // [N, classes]
    }
}
