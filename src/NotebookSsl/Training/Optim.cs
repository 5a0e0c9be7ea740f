using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSsl.Training;

/// <summary>An optimiser whose parameter groups follow one schedule, each at its own scale (layer-wise decay).</summary>
public sealed class ScheduledOptimizer : IDisposable
{
    readonly double[] scales;

    internal ScheduledOptimizer(optim.Optimizer optimizer, double[] scales) => (Optimizer, this.scales) = (optimizer, scales);

    public optim.Optimizer Optimizer { get; }

    /// <summary>Sets each group's learning rate to lr × its scale.</summary>
    public void SetLr(double lr)
    {
        int i = 0;
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr * scales[i++];
    }

    public void Dispose() => Optimizer.Dispose();
}

/// <summary>AdamW with MAE's parameter groups.</summary>
public static class Optim
{
    /// <summary>
    /// Parameters that get no weight decay: every 1-D tensor (norm weights, biases) and the tokens and
    /// position embeddings (names ending in cls_token, mask_token, pos_embed).
    /// </summary>
    public static bool NoDecay(string name, Parameter p) =>
        p.dim() <= 1 || name.EndsWith(".bias") || name.EndsWith("token") || name.EndsWith("pos_embed");

    /// <summary>
    /// AdamW over the trainable parameters, grouped by weight decay (none on <see cref="NoDecay"/>) and by
    /// learning-rate scale (<paramref name="lrScale"/> of a name; 1 for all by default).
    /// </summary>
    public static ScheduledOptimizer AdamW(IEnumerable<(string Name, Parameter Param)> named, TrainConfig config,
        Func<string, double>? lrScale = null)
    {
        var trainable = named.Where(np => np.Param.requires_grad).ToList();
        if (trainable.Count == 0) throw new ArgumentException("There is no trainable parameter to optimise.");
        var grouped = trainable
            .GroupBy(np => (NoDecay: NoDecay(np.Name, np.Param), Scale: lrScale?.Invoke(np.Name) ?? 1.0))
            .OrderBy(g => g.Key.Scale).ThenBy(g => g.Key.NoDecay)
            .ToList();
        var groups = grouped.Select(g => new AdamW.ParamGroup(g.Select(np => np.Param),
            new AdamW.Options { weight_decay = g.Key.NoDecay ? 0 : config.WeightDecay })).ToList();
        var optimizer = optim.AdamW(groups, config.PeakLr, config.Beta1, config.Beta2, weight_decay: config.WeightDecay);
        return new ScheduledOptimizer(optimizer, grouped.Select(g => g.Key.Scale).ToArray());
    }

    /// <summary>
    /// BEiT/MAE layer-wise learning-rate decay (util/lr_decay.py): patch embedding, cls token and position
    /// embedding are layer 0, block i is layer i + 1, everything after the blocks is layer depth + 1;
    /// layer k trains at decay^(depth + 1 − k) of the peak rate.
    /// </summary>
    public static Func<string, double> LayerDecay(int depth, double decay) => name =>
    {
        int layer;
        if (name.StartsWith("cls_token") || name.StartsWith("pos_embed") || name.StartsWith("patch_embed")) layer = 0;
        else if (name.StartsWith("blocks.")) layer = int.Parse(name.Split('.')[1]) + 1;
        else layer = depth + 1;
        return Math.Pow(decay, depth + 1 - layer);
    };
}
