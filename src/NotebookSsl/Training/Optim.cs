using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSsl.Training;

/// <summary>
/// AdamW whose parameter groups follow one schedule, each at its own scale (layer-wise decay). Building it moves its
/// parameters (and their gradients) into one buffer per group, which the model keeps using; clear gradients with
/// <see cref="ZeroGrad"/>, not with the module's zero_grad.
/// </summary>
public sealed class ScheduledOptimizer : IDisposable
{
    readonly double[] scales;

    internal ScheduledOptimizer(FlatAdamW optimizer, double[] scales) => (AdamW, this.scales) = (optimizer, scales);

    internal FlatAdamW AdamW { get; }

    /// <summary>Sets each group's learning rate to lr × its scale.</summary>
    public void SetLr(double lr)
    {
        for (int i = 0; i < scales.Length; i++) AdamW.SetLr(i, lr * scales[i]);
    }

    /// <summary>Zeroes every gradient (one op per group).</summary>
    public void ZeroGrad() => AdamW.ZeroGrad();

    /// <summary>One AdamW step on the gradients of the last backward.</summary>
    public void Step() => AdamW.Step();

    public void Dispose() => AdamW.Dispose();
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
    /// learning-rate scale (<paramref name="lrScale"/> of a name; 1 for all by default). TorchSharp's AdamW arithmetic,
    /// on one buffer per group (<see cref="FlatAdamW"/>): the parameters move into it.
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
        var groups = grouped.Select(g => ((IReadOnlyList<Parameter>)g.Select(np => np.Param).ToList(), g.Key.NoDecay ? 0 : config.WeightDecay)).ToList();
        var optimizer = new FlatAdamW(groups, config.PeakLr, config.Beta1, config.Beta2);
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
