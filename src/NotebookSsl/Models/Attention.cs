using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>
/// Multi-head self-attention with a fused qkv projection (bias on), as in timm's Attention.
/// <see cref="Forward(Tensor, bool)"/> can hand back the softmax maps; without them it uses the fused
/// scaled_dot_product_attention kernel.
/// </summary>
public sealed class Attention : Module<Tensor, Tensor>
{
    readonly Linear qkv, proj;
    readonly int heads;
    readonly double scale;

    public Attention(int width, int heads) : base(nameof(Attention))
    {
        this.heads = heads;
        scale = Math.Pow(width / heads, -0.5);
        qkv = Init.Linear(width, width * 3);
        proj = Init.Linear(width, width);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, returnMap: false).Output;

    /// <summary>Self-attention over x [N, T, D]; the map is [N, heads, T, T] when asked for.</summary>
    public (Tensor Output, Tensor? Map) Forward(Tensor x, bool returnMap)
    {
        long n = x.shape[0], t = x.shape[1], d = x.shape[2];

        // project to per-head queries, keys and values
        var qkvHeads = qkv.forward(x).reshape(n, t, 3, heads, d / heads).permute(2, 0, 3, 1, 4); // [3, N, h, T, d/h]
        var (q, k, v) = (qkvHeads[0], qkvHeads[1], qkvHeads[2]);                                   // [N, h, T, d/h]

        // attend: the explicit softmax when the map is wanted, the fused kernel otherwise
        Tensor? map = null;
        Tensor mixed;
        if (returnMap)
        {
            map = q.matmul(k.transpose(-2, -1)).mul(scale).softmax(-1);   // [N, h, T, T]
            mixed = map.matmul(v);                                         // [N, h, T, d/h]
        }
        else
        {
            mixed = nn.functional.scaled_dot_product_attention(q, k, v); // [N, h, T, d/h]
        }

        // merge heads and project back
        var output = proj.forward(mixed.transpose(1, 2).reshape(n, t, d)); // [N, T, D]
        return (output, map);
    }
}
