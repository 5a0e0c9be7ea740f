using NotebookSsl.Models;
using NotebookSsl.Training;

namespace NotebookSsl.Probes;

/// <summary>Held-out accuracy of one probe, from the pretrained encoder and from a random one of the same shape.</summary>
public sealed record ProbeComparison(string Probe, double Pretrained, double Random);

/// <summary>
/// The random-initialisation baseline every probe table shows beside a pretrained encoder: the same
/// encoder shape, never trained, probed with the same recipe. The floor a pretraining has to beat.
/// </summary>
public static class RandomInit
{
    /// <summary>A new encoder of <paramref name="config"/>'s shape, initialised from <paramref name="seed"/> (the global generator is reseeded).</summary>
    public static VisionTransformer Encoder(VitConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        Seeds.Set(seed);
        return new VisionTransformer(config);
    }

    /// <summary>
    /// Scores each probe on <paramref name="pretrained"/> and on a random encoder of its shape (from
    /// <paramref name="seed"/>); the random encoder is built once, shared by the probes and disposed.
    /// </summary>
    /// <param name="probes">Name and score of each probe, e.g. <c>("linear", e => LinearProbe.Run(e, ...).Accuracy)</c>.</param>
    /// <param name="onProbe">Each comparison as it is made (progress).</param>
    public static IReadOnlyList<ProbeComparison> Compare(VisionTransformer pretrained, int seed,
        IEnumerable<(string Probe, Func<VisionTransformer, double> Score)> probes, Action<ProbeComparison>? onProbe = null)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(probes);
        using var random = Encoder(pretrained.Config, seed);
        var result = new List<ProbeComparison>();
        foreach (var (probe, score) in probes)
        {
            var comparison = new ProbeComparison(probe, score(pretrained), score(random));
            result.Add(comparison);
            onProbe?.Invoke(comparison);
        }
        return result;
    }
}
