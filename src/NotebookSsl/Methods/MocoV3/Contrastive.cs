using NotebookSsl.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.MocoV3;

/// <summary>
/// The siamese losses MoCo v3 and C-MAE use, on predictions q and targets k of the same images, either one vector per
/// image [N, C] or one per token [N, T, C] (token-wise: token t of image i is contrasted with token t of every image).
/// </summary>
public static class Contrastive
{
    /// <summary>
    /// MoCo v3's contrastive_loss (moco/builder.py): q and k L2-normalised, logits q·kᵀ / τ, the positive of row i is
    /// column i (the same image), cross-entropy, times 2τ. The 2τ factor only rescales the gradient so that the
    /// learning rate does not depend on τ; the official code keeps it, so do we. Token-wise ([N, T, C]): the same
    /// loss at every token position separately (N × N logits per position), averaged over positions.
    /// No all-gather: one process holds the whole batch.
    /// </summary>
    public static Tensor InfoNce(Tensor q, Tensor k, double temperature)
    {
        RequireSame(q, k);
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        using var scope = NewDisposeScope();
        var logits = Logits(q, k, temperature);                                         // [T, N, N]
        long t = logits.shape[0], n = logits.shape[1];
        var labels = arange(n, dtype: ScalarType.Int64, device: q.device).repeat(t);   // [T·N]: the positive is on the diagonal
        var loss = functional.cross_entropy(logits.reshape(t * n, n), labels) * (2 * temperature);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Cosine logits / τ per token position: [T, N, N] (T = 1 for [N, C] input); row i, column j = s(q_i, k_j) / τ.</summary>
    internal static Tensor Logits(Tensor q, Tensor k, double temperature)
    {
        var qt = functional.normalize(AsTokens(q), dim: -1).transpose(0, 1);  // [T, N, C]
        var kt = functional.normalize(AsTokens(k), dim: -1).transpose(0, 1);  // [T, N, C]
        return qt.bmm(kt.transpose(1, 2)) / temperature;                      // [T, N, N]
    }

    /// <summary>
    /// BYOL's regression loss: 2 − 2·cos(q, k), averaged over images (and tokens). No negatives: the predictor
    /// and the EMA target keep it from collapsing.
    /// </summary>
    public static Tensor Byol(Tensor q, Tensor k)
    {
        RequireSame(q, k);
        using var scope = NewDisposeScope();
        var cos = (functional.normalize(q, dim: -1) * functional.normalize(k, dim: -1)).sum(-1); // [N] or [N, T]
        return (2 - 2 * cos).mean().MoveToOuterDisposeScope();
    }

    static Tensor AsTokens(Tensor x) => x.dim() == 2 ? x.unsqueeze(1) : x;   // [N, T, C]

    static void RequireSame(Tensor q, Tensor k)
    {
        if (q.dim() is not (2 or 3) || !q.shape.SequenceEqual(k.shape))
            throw new ArgumentException($"q and k must be [N, C] or [N, T, C] of the same shape, got {Shapes.Of(q)} and {Shapes.Of(k)}.");
        if (q.shape[0] < 2) throw new ArgumentException($"A contrastive loss needs at least 2 images in the batch, got {Shapes.Of(q)}.");
    }
}
