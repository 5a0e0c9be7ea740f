using TorchSharp;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>
/// Small utilities on attention maps, the softmax outputs <c>[B, H, Q, K]</c> (batch, heads, queries, keys) of a
/// Transformer layer. When <c>hasCls</c> is true, index 0 of both the query and the key axis is the cls token and
/// the patch tokens follow it; "token index" below always means the index among the patch tokens (cls excluded).
/// All functions return new tensors that survive the caller's dispose scope.
/// </summary>
public static class AttentionMaps
{
    /// <summary>Mean over heads: <c>[B, H, Q, K]</c> -> <c>[B, Q, K]</c>.</summary>
    public static Tensor HeadAverage(Tensor attention)
    {
        RequireAttention(attention, nameof(attention));
        using var scope = NewDisposeScope();
        return attention.mean(new long[] { 1 }).MoveToOuterDisposeScope(); // [B, Q, K]
    }

    /// <summary>
    /// The query rows of the given patch tokens: <c>[B, H, Q, K]</c> -> <c>[B, H, n, K]</c>, n = tokenIds.Length.
    /// With <paramref name="hasCls"/>, token i is row i + 1. Keys are kept as they are (cls column included).
    /// </summary>
    public static Tensor SelectQueries(Tensor attention, IReadOnlyList<long> tokenIds, bool hasCls = true)
    {
        RequireAttention(attention, nameof(attention));
        ArgumentNullException.ThrowIfNull(tokenIds);
        int c = hasCls ? 1 : 0;
        long patchQueries = attention.shape[2] - c;
        RequireTokenIds(tokenIds, patchQueries, nameof(tokenIds));
        using var scope = NewDisposeScope();
        var rows = tensor(tokenIds.Select(i => i + c).ToArray(), dtype: int64, device: attention.device); // [n]
        return attention.index_select(2, rows).MoveToOuterDisposeScope(); // [B, H, n, K]
    }

    /// <summary>
    /// Drops the cls key column: <c>[B, H, Q, K]</c> -> <c>[B, H, Q, K-1]</c> (a copy of the input when
    /// <paramref name="hasCls"/> is false). With <paramref name="renormalize"/>, each row is divided by its remaining
    /// mass so that it sums to 1 again; a row whose whole mass was on the cls key stays all zero.
    /// Query rows are untouched (drop the cls query with <see cref="SelectQueries"/> or <c>narrow</c>).
    /// </summary>
    public static Tensor PatchKeys(Tensor attention, bool hasCls = true, bool renormalize = true)
    {
        RequireAttention(attention, nameof(attention));
        int c = hasCls ? 1 : 0;
        if (attention.shape[3] - c < 1)
            throw new ArgumentException($"attention has {attention.shape[3]} keys: no patch key is left after dropping the cls key.", nameof(attention));
        using var scope = NewDisposeScope();
        var keys = attention.narrow(3, c, attention.shape[3] - c); // [B, H, Q, K-c]
        var result = renormalize ? Renormalize(keys) : keys.clone(); // [B, H, Q, K-c]
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Divides every row (last axis) by its sum; rows summing to 0 are left at 0.</summary>
    internal static Tensor Renormalize(Tensor weights)
    {
        var sums = weights.sum(-1, keepdim: true); // [..., 1]
        return weights / sums.masked_fill(sums.eq(0), 1.0); // [..., K]
    }

    /// <summary>Throws unless <paramref name="attention"/> is a floating-point <c>[B, H, Q, K]</c> tensor with no empty axis.</summary>
    internal static void RequireAttention(Tensor attention, string paramName)
    {
        ArgumentNullException.ThrowIfNull(attention, paramName);
        if (attention.dim() != 4)
            throw new ArgumentException($"attention must be [B, H, Q, K] (4 axes), got {Shapes.Of(attention)}.", paramName);
        if (attention.shape.Any(s => s == 0))
            throw new ArgumentException($"attention has an empty axis: {Shapes.Of(attention)}.", paramName);
        if (!is_floating_point(attention))
            throw new ArgumentException($"attention must be a floating-point tensor, got {attention.dtype}.", paramName);
    }

    /// <summary>Throws unless every id lies in [0, count) and there is at least one.</summary>
    internal static void RequireTokenIds(IReadOnlyList<long> ids, long count, string paramName)
    {
        if (ids.Count == 0) throw new ArgumentException("at least one token index is needed.", paramName);
        foreach (var id in ids)
            if (id < 0 || id >= count)
                throw new ArgumentException($"token index {id} is out of range [0, {count}).", paramName);
    }

    /// <summary>
    /// Validates a per-image index tensor <c>[B, n]</c> of integers in [0, count) and returns it as int64 on
    /// <paramref name="device"/>.
    /// </summary>
    internal static Tensor RequireIdTensor(Tensor ids, long batch, long n, long count, Device device, string paramName)
    {
        if (ids.dim() != 2 || ids.shape[0] != batch || (n >= 0 && ids.shape[1] != n))
            throw new ArgumentException(
                $"ids must be [B, n] = [{batch}, {(n >= 0 ? n.ToString() : "n")}], got {Shapes.Of(ids)}.", paramName);
        if (is_floating_point(ids) || ids.dtype == ScalarType.Bool)
            throw new ArgumentException($"ids must be an integer tensor, got {ids.dtype}.", paramName);
        if (ids.numel() == 0) throw new ArgumentException("ids is empty.", paramName);
        var result = ids.to(int64, device); // [B, n]
        long min = result.min().item<long>(), max = result.max().item<long>();
        if (min < 0 || max >= count)
            throw new ArgumentException($"ids must lie in [0, {count}), got values from {min} to {max}.", paramName);
        return result;
    }
}
