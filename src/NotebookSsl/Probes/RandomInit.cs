using NotebookSsl.Models;
using NotebookSsl.Training;

namespace NotebookSsl.Probes;

/// <summary>
/// The random-initialisation baseline every probe table shows beside a pretrained encoder: the same
/// encoder shape, never trained, probed with the same protocol (<see cref="Evaluation.RandomInit"/>). The floor a
/// pretraining has to beat.
/// </summary>
public static class RandomInit
{
    /// <summary>A new encoder of <paramref name="config"/>'s shape, initialised from <paramref name="seed"/> (its own generator: <see cref="Seeds.Build{T}"/>).</summary>
    public static VisionTransformer Encoder(VitConfig config, int seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Seeds.Build(seed, () => new VisionTransformer(config));
    }
}
