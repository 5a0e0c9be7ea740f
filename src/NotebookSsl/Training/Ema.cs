using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Training;

/// <summary>An exponential moving average of a model's parameters (a teacher for DINO, C-MAE, Uni-SSL).</summary>
public sealed class Ema
{
    readonly List<(Parameter Target, Parameter Source)> pairs;

    /// <summary>Pairs the parameters of two models of the same architecture, by name, and copies source into target.</summary>
    public Ema(Module target, Module source)
    {
        var sources = source.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        pairs = new();
        foreach (var (name, p) in target.named_parameters())
        {
            if (!sources.TryGetValue(name, out var s) || !s.shape.SequenceEqual(p.shape))
                throw new ArgumentException($"The EMA target's parameter '{name}' has no match of the same shape in the source.");
            pairs.Add((p, s));
        }
        using var _ = no_grad();
        foreach (var (t, s) in pairs) { t.copy_(s); t.requires_grad_(false); }
    }

    /// <summary>target ← m·target + (1 − m)·source.</summary>
    public void Update(double momentum)
    {
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The EMA momentum must be in [0, 1].");
        using var _ = no_grad();
        foreach (var (t, s) in pairs) t.mul_(momentum).add_(s, alpha: 1 - momentum);
    }

    /// <summary>BYOL/DINO's cosine momentum schedule from base to 1 over training.</summary>
    public static double CosineMomentum(double baseMomentum, long step, long totalSteps) =>
        1 - (1 - baseMomentum) * (Math.Cos(Math.PI * step / Math.Max(totalSteps, 1)) + 1) / 2;
}
