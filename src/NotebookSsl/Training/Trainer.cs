using System.Diagnostics;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Training;

/// <summary>One optimisation step, as a notebook plots it.</summary>
/// <param name="Step">0-based global step.</param>
/// <param name="Epoch">0-based epoch of the step (0 throughout a training on a batch stream).</param>
/// <param name="Loss">The step's loss.</param>
/// <param name="Lr">The learning rate the step used.</param>
/// <param name="ImagesPerSecond">Throughput of this step.</param>
/// <param name="Elapsed">Seconds since training began.</param>
public sealed record StepRecord(long Step, int Epoch, double Loss, double Lr, double ImagesPerSecond, double Elapsed);

/// <summary>
/// The training loop every method shares: a batch per step (the epoch permutation of images in memory, or the next
/// batch of an endless stream), the per-step learning-rate schedule, backward, optional gradient clipping, AdamW, and
/// a dispose scope per step so memory stays flat. It is lazy: each step runs when the caller asks for its
/// <see cref="StepRecord"/>, so a notebook can redraw its curve while training runs.
/// </summary>
public static class Trainer
{
    /// <summary>The loss of one batch. The generator is the run's own, for masks and augmentations.</summary>
    public delegate Tensor LossFunction(Tensor images, Tensor? labels, Generator generator);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="images"/> [N, C, H, W] (and labels [N]), lazily:
    /// nothing runs until the records are enumerated, one step per record. The arguments are checked now.
    /// </summary>
    /// <param name="parameters">What to optimise; by default all of the model's trainable parameters.</param>
    /// <param name="lrScale">Per-parameter learning-rate scale by name (e.g. <see cref="Optim.LayerDecay"/>).</param>
    /// <param name="afterStep">Runs after each optimizer step, under no_grad, with the 0-based step (e.g. an EMA teacher's update).</param>
    /// <param name="cancel">Checked between steps: once cancelled the stream ends after the current step; the model keeps its weights.</param>
    /// <param name="checkpoint">
    /// Save the training's state every <see cref="Checkpointing.Every"/> steps (and when cancelled), and resume
    /// from the latest checkpoint of the same recipe, data size and model in that folder: the records before it
    /// are replayed, then training goes on where it stopped. Build the model as for a fresh run.
    /// </param>
    public static IEnumerable<StepRecord> Steps(Module model, Tensor images, Tensor? labels, LossFunction lossOf, TrainConfig config,
        IEnumerable<(string Name, Parameter Param)>? parameters = null, Func<string, double>? lrScale = null,
        Action<long>? afterStep = null, CancellationToken cancel = default, Checkpointing? checkpoint = null) =>
        ImageSteps(model, images, labels, lossOf, config, Clipping.GlobalNorm, parameters, lrScale, afterStep, cancel, checkpoint);

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="budget"/>'s steps on an endless batch stream (e.g.
    /// <see cref="Data.CropStream"/>), one batch per step, lazily: enumerate the records to run it. MAE's schedule is laid
    /// over the budget's steps, so <c>config.Epochs</c> and <c>config.WarmupEpochs</c> are not used;
    /// <c>config.BatchSize</c> must be the stream's batch size (it scales the learning rate). <paramref name="lossOf"/>
    /// gets the run's own generator (seeded by <c>config.Seed</c>) for masks; the stream should draw from its own.
    /// <paramref name="afterStep"/> and <paramref name="cancel"/> work as in <see cref="Steps"/>; there are no checkpoints.
    /// </summary>
    public static IEnumerable<StepRecord> StreamSteps(Module model, IEnumerable<Tensor> batches, Func<Tensor, Generator, Tensor> lossOf, TrainConfig config,
        StepBudget budget, IEnumerable<(string Name, Parameter Param)>? parameters = null, Func<string, double>? lrScale = null,
        Action<long>? afterStep = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(lossOf);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(budget);
        var schedule = budget.Validate().Schedule(config).Validate();   // the budget's steps in place of epochs
        return Loop(model, new StreamBatches(batches, budget, schedule), (x, _, g) => lossOf(x, g), config, Clipping.GlobalNorm,
            parameters, lrScale, afterStep, cancel, checkpoint: null);
    }

    /// <summary><see cref="Steps"/>, with the way ClipGrad clips (DINO clips each parameter on its own).</summary>
    internal static IEnumerable<StepRecord> ImageSteps(Module model, Tensor images, Tensor? labels, LossFunction lossOf, TrainConfig config, Clipping clipping,
        IEnumerable<(string Name, Parameter Param)>? parameters = null, Func<string, double>? lrScale = null,
        Action<long>? afterStep = null, CancellationToken cancel = default, Checkpointing? checkpoint = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lossOf);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        checkpoint?.Validate();
        if (images.dim() < 2) throw new ArgumentException($"images (or features) must be [N, ...], got {Shapes.Of(images)}.");
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != images.shape[0]))
            throw new ArgumentException($"labels must be [{images.shape[0]}], got {Shapes.Of(labels)}.");
        long n = images.shape[0];
        int stepsPerEpoch = (int)(n / config.BatchSize);
        if (stepsPerEpoch == 0)
            throw new ArgumentException($"The batch size {config.BatchSize} is larger than the {n} training images.");
        return Loop(model, new EpochBatches(images, labels, stepsPerEpoch, config), lossOf, config, clipping, parameters, lrScale, afterStep, cancel, checkpoint);
    }

    /// <summary>Steps a run of <paramref name="config"/> takes on <paramref name="count"/> images (whole batches per epoch), e.g. for a momentum schedule.</summary>
    public static long TotalSteps(long count, TrainConfig config) => count / config.BatchSize * config.Epochs;

    /// <summary>Runs a lazy training to the end, handing each record to <paramref name="onStep"/>; returns them all.</summary>
    public static List<StepRecord> Collect(this IEnumerable<StepRecord> steps, Action<StepRecord>? onStep = null)
    {
        var all = new List<StepRecord>();
        foreach (var step in steps)
        {
            all.Add(step);
            onStep?.Invoke(step);
        }
        return all;
    }

    /// <summary>The one loop. Its arguments were checked by the entry points; the batches come from <paramref name="source"/>.</summary>
    static IEnumerable<StepRecord> Loop(Module model, BatchSource source, LossFunction lossOf, TrainConfig config, Clipping clipping,
        IEnumerable<(string Name, Parameter Param)>? parameters, Func<string, double>? lrScale,
        Action<long>? afterStep, CancellationToken cancel, Checkpointing? checkpoint)
    {
        Torch.NativeHeap.EnsureTuned();   // a step's freed tensors stay in the heap for the next step
        using var batches = source;
        var named = (parameters ?? model.named_parameters().Select(np => (np.name, np.parameter))).ToList();
        using var optimizer = Optim.AdamW(named, config, lrScale);
        var trainable = named.Where(np => np.Item2.requires_grad).Select(np => np.Item2).ToList();
        using var generator = new Generator((ulong)config.Seed);
        var clock = Stopwatch.StartNew();
        long step = 0;
        var records = new List<StepRecord>();

        // resume: the model, optimizer and generators as they were after the saved step; replay the records
        var fingerprint = checkpoint is null ? "" : checkpoint.Fingerprint(model, config, batches.Count);
        if (checkpoint?.TryLoad(fingerprint, model, optimizer.AdamW, generator) is { } resumed)
        {
            (step, records, var order) = resumed;
            batches.Resume(step, order);
            foreach (var record in records) yield return record;
        }

        model.train();
        for (; step < batches.TotalSteps; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                // nothing to save before the first batch: a re-run starts from scratch just the same
                if (checkpoint is not null && batches.Order is { } order)
                    checkpoint.Save(step, fingerprint, model, optimizer.AdamW, generator, order, records);
                model.eval();
                yield break;
            }
            double start = clock.Elapsed.TotalSeconds;
            double lr = batches.LrAt(step);
            double loss;
            using (var scope = NewDisposeScope())
            {
                var (batch, batchLabels) = batches.Take(step, generator);

                // forward, backward, update
                optimizer.SetLr(lr);
                optimizer.ZeroGrad();
                var lossTensor = lossOf(batch, batchLabels, generator);
                lossTensor.backward();
                if (config.ClipGrad is { } clip) Clip(trainable, clip, clipping);
                optimizer.Step();
                loss = lossTensor.item<float>();
            }
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The loss became {loss} at step {step}{batches.Where(step)}; lower the learning rate ({lr:g3}) or clip gradients.");
            if (afterStep is not null)
                using (no_grad()) afterStep(step);   // outside the step's scope: what it keeps (a copy of the weights) is its own
            // tensors made outside the step's scope (by afterStep, e.g. an EMA update) otherwise pile up in native memory
            // until a GC runs their finalizers. They die young, so a gen-1 collection (≈ 0.2 ms) frees them; a full one
            // costs ~160 ms in a notebook worker, whose heap holds the Roslyn and F# compilers (measured). AdamW itself
            // allocates nothing per step any more
            GC.Collect(1);
            double seconds = clock.Elapsed.TotalSeconds;
            var record = new StepRecord(step, batches.EpochOf(step), loss, lr, config.BatchSize / Math.Max(seconds - start, 1e-9), seconds);
            if (checkpoint is not null)
            {
                records.Add(record);
                if ((step + 1) % checkpoint.Every == 0 && step + 1 < batches.TotalSteps)
                    checkpoint.Save(step + 1, fingerprint, model, optimizer.AdamW, generator, batches.Order!, records);
            }
            yield return record;
        }
        model.eval();
    }

    /// <summary>How <see cref="TrainConfig.ClipGrad"/> clips.</summary>
    internal enum Clipping
    {
        /// <summary>The norm of all gradients together (torch.nn.utils.clip_grad_norm_; MAE's fine-tuning).</summary>
        GlobalNorm,
        /// <summary>Each parameter's gradient norm on its own (DINO's utils.clip_gradients).</summary>
        PerParameter,
    }

    internal static void Clip(IReadOnlyList<Parameter> parameters, double clip, Clipping clipping)
    {
        if (clipping == Clipping.GlobalNorm)
        {
            nn.utils.clip_grad_norm_(parameters, clip);
            return;
        }
        // DINO: clip_coef = clip / (‖g‖ + 1e-6), applied when below 1. As a tensor clamped to 1 (multiplying by 1
        // changes nothing), so there is no host sync per parameter; clip / t is t.reciprocal() * clip, as in PyTorch
        foreach (var p in parameters)
        {
            if (p.grad is not { } grad) continue;
            using var norm = grad.norm();                                              // []
            using var coef = (norm + 1e-6).reciprocal_().mul_(clip).clamp_max_(1.0);  // []
            grad.mul_(coef);
        }
    }

    /// <summary>Where each step's batch comes from, and the schedule position of a step.</summary>
    abstract class BatchSource : IDisposable
    {
        public abstract long TotalSteps { get; }
        /// <summary>The training-set size a checkpoint's fingerprint records.</summary>
        public virtual long Count => throw new NotSupportedException("Only training on images in memory keeps checkpoints.");
        /// <summary>What a checkpoint keeps of the data order; null before the first batch.</summary>
        public virtual Tensor? Order => null;
        public virtual void Resume(long step, Tensor order) => throw new NotSupportedException("Only training on images in memory resumes.");
        public abstract double LrAt(long step);
        public abstract int EpochOf(long step);
        /// <summary>Words placing a step for an error message (e.g. " (epoch 3)").</summary>
        public virtual string Where(long step) => "";
        /// <summary>The batch of <paramref name="step"/>, called once per step in order, inside the step's dispose scope.</summary>
        public abstract (Tensor Images, Tensor? Labels) Take(long step, Generator generator);
        public virtual void Dispose() { }
    }

    /// <summary>Images in memory, in a new random order each epoch (drawn from the run's generator before the epoch's first batch).</summary>
    sealed class EpochBatches(Tensor images, Tensor? labels, int stepsPerEpoch, TrainConfig config) : BatchSource
    {
        Tensor? order;   // [N], this epoch's permutation; outside every dispose scope, disposed here

        public override long TotalSteps => (long)stepsPerEpoch * config.Epochs;
        public override long Count => images.shape[0];
        public override Tensor? Order => order;
        public override int EpochOf(long step) => (int)(step / stepsPerEpoch);
        public override string Where(long step) => $" (epoch {EpochOf(step)})";
        public override double LrAt(long step) => LrSchedule.At(EpochOf(step) + (double)(step % stepsPerEpoch) / stepsPerEpoch, config);

        /// <summary>Inside an epoch the saved order goes on; at its start the next order is drawn from the restored generator.</summary>
        public override void Resume(long step, Tensor saved)
        {
            order?.Dispose();
            order = saved.DetachFromDisposeScope();
            if (step % stepsPerEpoch == 0) { order.Dispose(); order = null; }
        }

        public override (Tensor Images, Tensor? Labels) Take(long step, Generator generator)
        {
            int i = (int)(step % stepsPerEpoch);
            if (i == 0 || order is null)
            {
                order?.Dispose();
                order = randperm(images.shape[0], generator: generator).DetachFromDisposeScope();   // [N]
            }
            var index = order[(i * config.BatchSize)..((i + 1) * config.BatchSize)];                // [B]
            return (images.index_select(0, index), labels?.index_select(0, index));
        }

        public override void Dispose() { order?.Dispose(); order = null; }
    }

    /// <summary>The next batch of an endless stream, for a step budget.</summary>
    sealed class StreamBatches(IEnumerable<Tensor> batches, StepBudget budget, TrainConfig schedule) : BatchSource
    {
        IEnumerator<Tensor>? stream;   // opened at the first batch, so a training never enumerated opens nothing

        public override long TotalSteps => budget.Steps;
        public override int EpochOf(long step) => 0;
        public override double LrAt(long step) => LrSchedule.At(step, schedule);

        public override (Tensor Images, Tensor? Labels) Take(long step, Generator generator)
        {
            stream ??= batches.GetEnumerator();
            if (!stream.MoveNext()) throw new InvalidOperationException($"The batch stream ended after {step} of {budget.Steps} steps.");
            var batch = stream.Current;
            if (batch.shape[0] != schedule.BatchSize)
                throw new ArgumentException($"The stream gave a batch of {batch.shape[0]} where the config says {schedule.BatchSize}.");
            return (batch, null);
        }

        public override void Dispose() => stream?.Dispose();
    }
}
