using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>Label checks the probes share: a wrong label otherwise surfaces as a libtorch error with C++ frames.</summary>
internal static class ProbeLabels
{
    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="labels"/> is an integer [n] tensor with values in [0, numClasses).</summary>
    public static void Check(Tensor labels, long n, int numClasses, string name)
    {
        ArgumentNullException.ThrowIfNull(labels, name);
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A probe needs at least 2 classes.");
        if (labels.dim() != 1 || labels.shape[0] != n)
            throw new ArgumentException($"{name} must be [{n}], one per image, got {Shapes.Of(labels)}.", name);
        // the probes index and one-hot with the labels, which libtorch does in int64 only: name any other dtype and the fix
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"{name} must be integer class indices of dtype Int64, got {labels.dtype}: pass {name}.to_type(ScalarType.Int64).", name);
        if (n == 0) return;
        long min = labels.min().item<long>(), max = labels.max().item<long>();
        if (min < 0 || max >= numClasses)
            throw new ArgumentException($"{name} must be class indices in [0, {numClasses - 1}] for {numClasses} classes; found {(min < 0 ? min : max)}.", name);
    }
}
