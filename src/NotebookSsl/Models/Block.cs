using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>A pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6.</summary>
public sealed class Block : Module<Tensor, Tensor>
{
    readonly LayerNorm norm1, norm2;
    readonly Attention attn;
    readonly Mlp mlp;

    public Block(int width, int heads, double mlpRatio) : base(nameof(Block))
    {
        norm1 = LayerNorm(width, eps: 1e-6);
        attn = new Attention(width, heads);
        norm2 = LayerNorm(width, eps: 1e-6);
        mlp = new Mlp(width, (int)(width * mlpRatio));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, returnMap: false).Output;

    /// <summary>
    /// One block in its own dispose scope: only the output (and the map) leave it, which keeps peak
    /// memory near PyTorch's; autograd keeps what the backward pass needs.
    /// </summary>
    public (Tensor Output, Tensor? Map) Forward(Tensor x, bool returnMap)
    {
        using var scope = NewDisposeScope();
        var (attended, map) = attn.Forward(norm1.forward(x), returnMap);
        x = x + attended;                         // [N, T, D]
        x = x + mlp.forward(norm2.forward(x));    // [N, T, D]
        return (x.MoveToOuterDisposeScope(), map?.detach().MoveToOuterDisposeScope());
    }
}
