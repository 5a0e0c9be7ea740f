using NotebookSsl.Models;

namespace NotebookSsl.Training;

/// <summary>
/// Repeatable runs without global state. A model built by <see cref="Build{T}"/> draws its initial weights from a
/// generator of its own, seeded by the run's seed; training then draws its data order, masks and augmentations from the
/// <see cref="TrainConfig.Seed"/>'s generator (<see cref="Trainer"/>). Nothing reads libtorch's process-wide generator,
/// so runs on different threads give the same weights as the same runs one after another.
/// </summary>
public static class Seeds
{
    /// <summary>
    /// <paramref name="build"/>'s model, its initial weights drawn from a generator seeded by <paramref name="seed"/>
    /// (the same seed: the same weights, on any thread), e.g. <c>Seeds.Build(0, () =&gt; new MaskedAutoencoder(config))</c>.
    /// </summary>
    public static T Build<T>(int seed, Func<T> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return Init.Seeded(seed, build);
    }
}
