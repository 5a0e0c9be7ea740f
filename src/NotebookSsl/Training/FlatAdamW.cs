using System.Runtime.InteropServices;
using NotebookSsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookSsl.Training;

/// <summary>
/// AdamW over parameter groups whose parameters and gradients live in one contiguous buffer per group, so a step is
/// a handful of ops per group instead of per tensor. TorchSharp 0.107 reaches neither libtorch's <c>_foreach_*</c> ops
/// nor its fused AdamW; TorchSharp's own AdamW runs about ten ops per parameter tensor and allocates three
/// tensors for each (≈ 300 per step of the notebooks' MAE, half the tensors a step creates).
/// <para>
/// The arithmetic is TorchSharp's AdamW, op for op (decoupled weight decay, bias corrections, ε added after the
/// corrected square root), so the weights match it bit for bit. Building one re-points each parameter at a slice of its
/// group's buffer (the values are copied) and its gradient at a slice of a gradient buffer; backward then accumulates
/// into those slices, so <see cref="ZeroGrad"/> must be the only thing that clears gradients (no
/// <c>set_to_none</c>). Every parameter is updated every step, as PyTorch's AdamW after <c>zero_grad(set_to_none=False)</c>:
/// one that gets no gradient in a step sees a zero gradient. A parameter that never gets one (the encoder's final norm
/// when fine-tuning pools through fc_norm) keeps its value bit for bit, as under TorchSharp's AdamW, which skips it:
/// its moments stay 0, so its update is 0 / ε. Only one in a weight-decay group would be decayed; no method here has
/// one (1-D parameters never decay), as a run of the method, probe and study tests that listed them showed.
/// </para>
/// </summary>
internal sealed class FlatAdamW : IDisposable
{
    readonly double beta1, beta2, eps;
    readonly Group[] groups;
    bool checkedAliases;

    sealed class Group(Parameter[] parameters, Tensor weights, Tensor grads, double weightDecay) : IDisposable
    {
        public readonly Parameter[] Parameters = parameters;
        public readonly Tensor Weights = weights, Grads = grads;                 // [P]: the group's parameters and gradients
        public readonly Tensor ExpAvg = zeros_like(weights).DetachFromDisposeScope(), ExpAvgSq = zeros_like(weights).DetachFromDisposeScope(),
            Denom = empty_like(weights).DetachFromDisposeScope();   // [P] each
        public readonly double WeightDecay = weightDecay;
        public double Lr;
        public long Step;

        public void Dispose()
        {
            foreach (var t in new[] { Weights, Grads, ExpAvg, ExpAvgSq, Denom }) t.Dispose();
        }
    }

    /// <param name="groups">Each group's parameters (one dtype and device per group) and weight decay.</param>
    internal FlatAdamW(IReadOnlyList<(IReadOnlyList<Parameter> Parameters, double WeightDecay)> groups, double lr, double beta1, double beta2, double eps = 1e-8)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "AdamW's beta1 must be in [0, 1).");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "AdamW's beta2 must be in [0, 1).");
        (this.beta1, this.beta2, this.eps) = (beta1, beta2, eps);
        var seen = new HashSet<IntPtr>();
        this.groups = groups.Select(g =>
        {
            var ps = g.Parameters.ToArray();
            if (ps.Length == 0) throw new ArgumentException("An AdamW parameter group is empty.", nameof(groups));
            if (ps.Any(p => !seen.Add(p.Handle))) throw new ArgumentException("A parameter is in two AdamW groups (or twice in one).", nameof(groups));
            if (ps.Any(p => p.dtype != ps[0].dtype || p.device.ToString() != ps[0].device.ToString()))
                throw new ArgumentException($"An AdamW group mixes dtypes or devices ({string.Join(", ", ps.Select(p => $"{p.dtype} on {p.device}").Distinct())}); group them apart.", nameof(groups));
            return Flatten(ps, g.WeightDecay, lr);
        }).ToArray();
    }

    /// <summary>Copies the parameters into one buffer and points each parameter (and its gradient) at its slice.</summary>
    static Group Flatten(Parameter[] ps, double weightDecay, double lr)
    {
        long total = ps.Sum(p => p.numel());
        var weights = empty(total, ps[0].dtype, ps[0].device).DetachFromDisposeScope();   // [P]
        var grads = zeros(total, ps[0].dtype, ps[0].device).DetachFromDisposeScope();     // [P]
        using (no_grad())
        using (NewDisposeScope())
        {
            long offset = 0;
            foreach (var p in ps)
            {
                long n = p.numel();
                var slice = weights.narrow(0, offset, n).view(p.shape);
                slice.copy_(p);
                p.set_(slice);
                p.grad = grads.narrow(0, offset, n).view(p.shape);
                offset += n;
            }
        }
        return new Group(ps, weights, grads, weightDecay) { Lr = lr };
    }

    /// <summary>The groups' learning rates, in order.</summary>
    internal void SetLr(int group, double lr) => groups[group].Lr = lr;

    internal int GroupCount => groups.Length;

    /// <summary>Clears the gradients: one op per group.</summary>
    internal void ZeroGrad()
    {
        foreach (var g in groups) g.Grads.zero_();
    }

    /// <summary>One AdamW step of every group, in place; allocates nothing.</summary>
    internal void Step()
    {
        if (!checkedAliases) CheckAliases();
        using var _ = no_grad();
        foreach (var g in groups)
        {
            g.Step++;
            // TorchSharp's AdamW, op for op: param ← param·(1 − lr·wd) (skipped at wd = 0, where it multiplies by 1)
            if (g.WeightDecay != 0) g.Weights.mul_(1 - g.Lr * g.WeightDecay);
            double biasCorrection1 = 1 - Math.Pow(beta1, g.Step), biasCorrection2 = 1 - Math.Pow(beta2, g.Step);
            g.ExpAvg.mul_(beta1).add_(g.Grads, alpha: 1 - beta1);
            g.ExpAvgSq.mul_(beta2).addcmul_(g.Grads, g.Grads, value: 1 - beta2);
            // denom = √v / √(1 − β2^t) + ε, in a buffer of its own instead of two new tensors
            g.Denom.copy_(g.ExpAvgSq).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(eps);
            g.Weights.addcdiv_(g.ExpAvg, g.Denom, value: -(g.Lr / biasCorrection1));
        }
    }

    /// <summary>
    /// Once, before the first step: every parameter's gradient must still be its slice of the group's gradient buffer
    /// (something that set a gradient to none, or replaced it, would leave this optimizer stepping on stale zeros).
    /// </summary>
    void CheckAliases()
    {
        using var scope = NewDisposeScope();
        foreach (var g in groups)
        {
            long offset = 0;
            var storage = THSStorage_data_ptr(g.Grads.Handle);
            foreach (var p in g.Parameters)
            {
                if (p.grad is not { } grad || THSStorage_data_ptr(grad.Handle) != storage || grad.storage_offset() != offset)
                    throw new InvalidOperationException(
                        $"A parameter of shape {Shapes.Of(p)} has a gradient of its own: clear gradients with the optimizer's ZeroGrad, not set_to_none or the module's zero_grad.");
                offset += p.numel();
            }
        }
        checkedAliases = true;
    }

    /// <summary>The address of a tensor's storage (TorchSharp's Storage keeps its own accessor protected).</summary>
    [DllImport("LibTorchSharp")]
    static extern IntPtr THSStorage_data_ptr(IntPtr tensor);

    /// <summary>The state a checkpoint keeps: per group its step count and both moments.</summary>
    internal void Save(BinaryWriter writer)
    {
        writer.Write(groups.Length);
        foreach (var g in groups)
        {
            writer.Write(g.Weights.numel());
            writer.Write(g.Step);
            g.ExpAvg.Save(writer);
            g.ExpAvgSq.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote, for the same groups; InvalidDataException when they differ.</summary>
    internal void Load(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count != groups.Length) throw new InvalidDataException($"The optimizer state has {count} parameter groups; this optimizer has {groups.Length}.");
        foreach (var g in groups)
        {
            long size = reader.ReadInt64();
            if (size != g.Weights.numel()) throw new InvalidDataException($"An optimizer state group holds {size} values; this optimizer's holds {g.Weights.numel()}.");
            g.Step = reader.ReadInt64();
            g.ExpAvg.Load(reader);
            g.ExpAvgSq.Load(reader);
        }
    }

    public void Dispose()
    {
        foreach (var g in groups) g.Dispose();
    }
}
