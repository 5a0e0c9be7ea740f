using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>
/// Multi-head cross-attention: queries from one token set, keys and values from another (CAE's
/// CrossAttention in modeling_cae_helper.py: separate q, k, v projections, then proj). As in the official
/// code the key projection has no bias (a key bias adds the same logit to every key and cancels in the
/// softmax); q and v have one.
/// </summary>
public sealed class CrossAttention : Module<Tensor, Tensor>
{
    readonly Linear q, k, v, proj;
    readonly int heads, width;
    readonly double scale;

    public CrossAttention(int width, int heads) : base(nameof(CrossAttention))
    {
        if (heads < 1 || width % heads != 0) throw new ArgumentException($"Heads {heads} must divide the width {width}.");
        (this.heads, this.width) = (heads, width);
        scale = Math.Pow(width / heads, -0.5);
        q = Init.Linear(width, width);
        k = Init.Linear(width, width, hasBias: false);
        v = Init.Linear(width, width);
        proj = Init.Linear(width, width);
        RegisterComponents();
    }

    /// <summary>Self-attention (queries = keys = values), for the Module interface.</summary>
    public override Tensor forward(Tensor x) => Forward(x, x, x, returnMap: false).Output;

    /// <summary>
    /// Attends from <paramref name="query"/> [N, Q, D] to <paramref name="keys"/> / <paramref name="values"/>
    /// [N, T, D]; the output is [N, Q, D], the map [N, heads, Q, T] when asked for.
    /// </summary>
    public (Tensor Output, Tensor? Map) Forward(Tensor query, Tensor keys, Tensor values, bool returnMap)
    {
        if (query.dim() != 3 || keys.dim() != 3 || !keys.shape.SequenceEqual(values.shape) || keys.shape[0] != query.shape[0] || keys.shape[2] != query.shape[2] || query.shape[2] != width)
            throw new ArgumentException($"query [N, Q, {width}], keys and values [N, T, {width}] must agree; got {Shapes.Of(query)}, {Shapes.Of(keys)}, {Shapes.Of(values)}.");
        long n = query.shape[0], nq = query.shape[1], d = query.shape[2], nk = keys.shape[1];

        // project to per-head queries, keys and values
        var qh = q.forward(query).reshape(n, nq, heads, d / heads).transpose(1, 2);   // [N, h, Q, d/h]
        var kh = k.forward(keys).reshape(n, nk, heads, d / heads).transpose(1, 2);    // [N, h, T, d/h]
        var vh = v.forward(values).reshape(n, nk, heads, d / heads).transpose(1, 2);  // [N, h, T, d/h]

        // attend: the explicit softmax when the map is wanted, the fused kernel otherwise
        Tensor? map = null;
        Tensor mixed;
        if (returnMap)
        {
            map = qh.matmul(kh.transpose(-2, -1)).mul(scale).softmax(-1);   // [N, h, Q, T]
            mixed = map.matmul(vh);                                          // [N, h, Q, d/h]
        }
        else
        {
            mixed = nn.functional.scaled_dot_product_attention(qh, kh, vh); // [N, h, Q, d/h]
        }

        // merge heads and project back
        return (proj.forward(mixed.transpose(1, 2).reshape(n, nq, d)), map); // [N, Q, D]
    }
}
