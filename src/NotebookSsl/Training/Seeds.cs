using static TorchSharp.torch;

namespace NotebookSsl.Training;

/// <summary>Repeatable runs: seed libtorch's global generator before a model is built.</summary>
public static class Seeds
{
    /// <summary>Seeds torch's default generator (weight initialisation) and returns a fresh generator of the same seed.</summary>
    public static Generator Set(int seed)
    {
        random.manual_seed(seed);
        return new Generator((ulong)seed);
    }
}
