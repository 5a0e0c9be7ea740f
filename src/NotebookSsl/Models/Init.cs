using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Models;

/// <summary>
/// Where a model's initial weights are drawn from, and MAE's initialize_weights.
/// <para>
/// Runs train side by side on threads of one process, so no model may draw its initial weights from libtorch's
/// process-wide generator: another run would draw from it in between. A model built inside
/// <see cref="Training.Seeds.Build{T}"/> draws every initial weight from that run's own generator instead
/// (<see cref="Generator"/>, one per thread): every initialiser here takes it, and the library's layers are made by
/// <see cref="Linear"/> and <see cref="Conv2d"/>, which redraw nn.Linear's and nn.Conv2d's default initialisation from
/// it. Outside a build (a model made with <c>new</c> in a cell) the global generator is used, as in PyTorch.
/// </para>
/// <para>
/// The draws go through the tensor's own <c>uniform_</c>/<c>normal_</c>, never <c>nn.init</c>'s: TorchSharp 0.107's
/// <c>nn.init.uniform_</c>, <c>normal_</c> and <c>trunc_normal_</c> take a generator and ignore it (they call libtorch
/// without it), so a seeded build through them drew from the global generator after all.
/// </para>
/// </summary>
internal static class Init
{
    [ThreadStatic] static Generator? current;

    /// <summary>The generator of the build running on this thread, or null outside one (libtorch's global generator).</summary>
    public static Generator? Generator => current;

    /// <summary>Runs <paramref name="build"/> with initial weights drawn from a new generator seeded by <paramref name="seed"/>.</summary>
    public static T Seeded<T>(int seed, Func<T> build)
    {
        var outer = current;
        using var generator = new Generator((ulong)seed);
        current = generator;
        try { return build(); }
        finally { current = outer; }
    }

    /// <summary>nn.Linear, its default initialisation drawn from the build's generator.</summary>
    public static Linear Linear(long inFeatures, long outFeatures, bool hasBias = true)
    {
        var linear = nn.Linear(inFeatures, outFeatures, hasBias);
        if (current is not null) Default(linear.weight!, linear.bias, inFeatures);
        return linear;
    }

    /// <summary>nn.Conv2d (square kernel), its default initialisation drawn from the build's generator.</summary>
    public static Conv2d Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0)
    {
        var conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding);
        if (current is not null) Default(conv.weight!, conv.bias, inChannels * kernelSize * kernelSize);
        return conv;
    }

    // torch.nn.Linear/_ConvNd.reset_parameters: kaiming_uniform_(w, a=√5), i.e. uniform(±√3 · gain/√fan_in) with
    // gain = √(2 / (1 + a²)); the bias uniform(±1/√fan_in). Computed as PyTorch does, so the same seed draws the same weights.
    static void Default(Tensor weight, Tensor? bias, long fanIn)
    {
        using var _ = no_grad();
        double std = Math.Sqrt(2.0 / (1 + 5)) / Math.Sqrt(fanIn);
        double bound = Math.Sqrt(3.0) * std;
        weight.uniform_(-bound, bound, current);
        if (bias is not null)
        {
            double b = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            bias.uniform_(-b, b, current);
        }
    }

    /// <summary>xavier_uniform_ (gain 1) from the build's generator: uniform(±√(6 / (fan_in + fan_out))) as PyTorch computes it.</summary>
    public static void XavierUniform(Tensor weight)
    {
        using var _ = no_grad();
        long receptive = weight.dim() > 2 ? weight.shape.Skip(2).Aggregate(1L, (a, b) => a * b) : 1;
        long fanIn = weight.shape[1] * receptive, fanOut = weight.shape[0] * receptive;
        double std = Math.Sqrt(2.0 / (fanIn + fanOut));
        double a = Math.Sqrt(3.0) * std;
        weight.uniform_(-a, a, current);
    }

    /// <summary>normal_(0, <paramref name="std"/>) from the build's generator (cls and mask tokens).</summary>
    public static void Normal(Tensor tensor, double std)
    {
        using var _ = no_grad();
        tensor.normal_(0, std, current);
    }

    /// <summary>timm's trunc_normal_(std, a = −2, b = 2) from the build's generator (heads, DINO's MLP, query tokens).</summary>
    public static void TruncNormal(Tensor tensor, double std)
    {
        // torch.nn.init._no_grad_trunc_normal_ step by step: a uniform draw between the cut-offs' CDF values, mapped
        // through the inverse CDF, then clamped against erfinv's rounding at the ends
        const double a = -2, b = 2;
        using var _ = no_grad();
        double lower = NormCdf(a / std), upper = NormCdf(b / std);
        tensor.uniform_(2 * lower - 1, 2 * upper - 1, current);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2.0));
        tensor.clamp_(a, b);
    }

    static double NormCdf(double x)
    {
        using var t = TorchSharp.torch.tensor(x / Math.Sqrt(2.0), ScalarType.Float64);
        using var erf = t.erf();
        return (1 + erf.item<double>()) / 2;
    }

    /// <summary>MAE's initialize_weights: xavier-uniform Linear and patch-embed weights, zero biases, LayerNorm 1/0.</summary>
    public static void MaeWeights(Module root)
    {
        using var _ = no_grad();
        foreach (var (_, module) in root.named_modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.Linear linear:
                    XavierUniform(linear.weight!);
                    if (linear.bias is { } b) init.zeros_(b);
                    break;
                case LayerNorm layerNorm:
                    init.ones_(layerNorm.weight!);
                    init.zeros_(layerNorm.bias!);
                    break;
                case PatchEmbed patchEmbed:
                    // like nn.Linear: xavier on the weight viewed as [D, C*p*p]
                    var w = patchEmbed.Proj.weight!;
                    XavierUniform(w.view(w.shape[0], -1));
                    break;
            }
        }
    }
}
