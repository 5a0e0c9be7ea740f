using NotebookSsl.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.Dino;

/// <summary>
/// A linear layer without bias whose weight is weight-normalised per output unit (torch.nn.utils.weight_norm, dim 0):
/// weight = weight_g · weight_v / ‖weight_v‖ (row norm). The state-dict names are torch's: weight_g [out, 1], weight_v [out, in].
/// </summary>
public sealed class WeightNormLinear : Module<Tensor, Tensor>
{
    readonly Parameter weight_g;
    readonly Parameter weight_v;

    /// <param name="fixNorm">DINO's norm_last_layer: weight_g is set to 1 and frozen, so every row of the weight has norm 1.</param>
    public WeightNormLinear(int inFeatures, int outFeatures, bool fixNorm) : base(nameof(WeightNormLinear))
    {
        using var init = Init.Linear(inFeatures, outFeatures, hasBias: false);     // nn.Linear's default (Kaiming-uniform) init, as in DINO
        weight_v = Parameter(init.weight!.detach().clone());
        weight_g = Parameter(ones(outFeatures, 1), requires_grad: !fixNorm);  // DINO: last_layer.weight_g.data.fill_(1)
        RegisterComponents();
    }

    public Parameter WeightG => weight_g;
    public Parameter WeightV => weight_v;

    /// <summary>The effective weight [out, in].</summary>
    public Tensor Weight => weight_g * weight_v / weight_v.norm(1, keepdim: true);

    public override Tensor forward(Tensor x) => functional.linear(x, Weight);   // [.., out]
}

/// <summary>
/// DINO's projection head (facebookresearch/dino, vision_transformer.py, DINOHead): a 3-layer MLP with GELU
/// (in → hidden → hidden → bottleneck), L2 normalisation, then a weight-normalised linear layer to the
/// <c>OutDim</c> prototypes. Linear layers start trunc-normal (std 0.02) with zero bias, as there. Names: mlp.0,
/// mlp.2, mlp.4, last_layer.weight_g, last_layer.weight_v (with use_bn: mlp.0, mlp.1 (BN), mlp.3, mlp.4 (BN), mlp.6).
/// Difference: only nlayers = 3 (the paper's head).
/// </summary>
public sealed class DinoHead : Module<Tensor, Tensor>
{
    readonly Sequential mlp;
    readonly WeightNormLinear last_layer;

    /// <param name="useBn">DINO's use_bn_in_head: BatchNorm1d after each hidden linear layer (mlp.0, 1 = BN, 2 = GELU, mlp.3, 4, 5, mlp.6).</param>
    public DinoHead(int inDim, int outDim, int hiddenDim, int bottleneckDim, bool normLastLayer = true, bool useBn = false) : base(nameof(DinoHead))
    {
        if (inDim < 1 || outDim < 1 || hiddenDim < 1 || bottleneckDim < 1)
            throw new ArgumentException($"DINO head sizes must be positive, got in {inDim}, hidden {hiddenDim}, bottleneck {bottleneckDim}, out {outDim}.");
        InDim = inDim;
        var layers = new List<Module<Tensor, Tensor>> { Init.Linear(inDim, hiddenDim) };
        if (useBn) layers.Add(BatchNorm1d(hiddenDim));
        layers.Add(GELU());
        layers.Add(Init.Linear(hiddenDim, hiddenDim));
        if (useBn) layers.Add(BatchNorm1d(hiddenDim));
        layers.Add(GELU());
        layers.Add(Init.Linear(hiddenDim, bottleneckDim));
        mlp = Sequential(layers.Select((m, i) => (i.ToString(), m)).ToArray());
        using (no_grad())
            foreach (var linear in mlp.children().OfType<Linear>())
            {
                Init.TruncNormal(linear.weight!, 0.02);
                init.zeros_(linear.bias!);
            }
        last_layer = new WeightNormLinear(bottleneckDim, outDim, normLastLayer);
        RegisterComponents();
    }

    public int InDim { get; }
    /// <summary>The weight-normalised prototypes (DINO's last_layer).</summary>
    public WeightNormLinear LastLayer => last_layer;

    /// <summary>[.., in] → [.., out] prototype scores (logits before the temperature).</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.shape[^1] != InDim) throw new ArgumentException($"the DINO head takes [.., {InDim}], got {Shapes.Of(x)}.");

        // MLP to the bottleneck, then onto the unit sphere
        var z = mlp.forward(x);                               // [.., bottleneck]
        z = functional.normalize(z, p: 2, dim: -1);

        // cosine-like scores against the (unit-norm) prototypes
        return last_layer.forward(z);                         // [.., out]
    }
}
