using System.Diagnostics;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Training;

/// <summary>One optimisation step, as a notebook plots it.</summary>
/// <param name="Step">0-based global step.</param>
/// <param name="Epoch">0-based epoch of the step.</param>
/// <param name="Loss">The step's loss.</param>
/// <param name="Lr">The learning rate the step used.</param>
/// <param name="ImagesPerSecond">Throughput of this step.</param>
/// <param name="Elapsed">Seconds since training began.</param>
public sealed record StepRecord(long Step, int Epoch, double Loss, double Lr, double ImagesPerSecond, double Elapsed);

/// <summary>
/// The training loop every method shares: seeded shuffled batches, the per-step learning-rate
/// schedule, backward, optional gradient clipping, AdamW, and a dispose scope per step so memory stays
/// flat. It is lazy: each step runs when the caller asks for its <see cref="StepRecord"/>, so a
/// notebook can redraw its curve while training runs.
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
        Action<long>? afterStep = null, CancellationToken cancel = default, Checkpointing? checkpoint = null)
    {
        config.Validate();
        checkpoint?.Validate();
        if (images.dim() < 2) throw new ArgumentException($"images (or features) must be [N, ...], got {Shapes.Of(images)}.");
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != images.shape[0]))
            throw new ArgumentException($"labels must be [{images.shape[0]}], got {Shapes.Of(labels)}.");
        long n = images.shape[0];
        int stepsPerEpoch = (int)(n / config.BatchSize);
        if (stepsPerEpoch == 0)
            throw new ArgumentException($"The batch size {config.BatchSize} is larger than the {n} training images.");
        return Loop(model, images, labels, lossOf, config, parameters, lrScale, stepsPerEpoch, afterStep, cancel, checkpoint);
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

    static IEnumerable<StepRecord> Loop(Module model, Tensor images, Tensor? labels, LossFunction lossOf, TrainConfig config,
        IEnumerable<(string Name, Parameter Param)>? parameters, Func<string, double>? lrScale, int stepsPerEpoch,
        Action<long>? afterStep, CancellationToken cancel, Checkpointing? checkpoint)
    {
        var named = (parameters ?? model.named_parameters().Select(np => (np.name, np.parameter))).ToList();
        using var optimizer = Optim.AdamW(named, config, lrScale);
        var trainable = named.Where(np => np.Item2.requires_grad).Select(np => np.Item2).ToList();
        var generator = new Generator((ulong)config.Seed);
        var clock = Stopwatch.StartNew();
        long step = 0, totalSteps = (long)stepsPerEpoch * config.Epochs;
        var records = new List<StepRecord>();
        Tensor? resumedOrder = null;

        // resume: the model, optimizer and generators as they were after the saved step; replay the records
        var fingerprint = checkpoint?.Fingerprint(model, config, images.shape[0]) ?? "";
        if (checkpoint?.TryLoad(fingerprint, model, optimizer.Optimizer, generator) is { } resumed)
        {
            (step, records, resumedOrder) = resumed;
            foreach (var record in records) yield return record;
        }

        model.train();
        for (int epoch = (int)(step / stepsPerEpoch); epoch < config.Epochs; epoch++)
        {
            // the epoch's data order: drawn at its start, or the saved one when resuming inside it
            using var order = resumedOrder is not null && step % stepsPerEpoch != 0 ? resumedOrder : randperm(images.shape[0], generator: generator); // [N]
            if (!ReferenceEquals(order, resumedOrder)) resumedOrder?.Dispose();
            resumedOrder = null;
            for (int i = (int)(step % stepsPerEpoch); i < stepsPerEpoch; i++, step++)
            {
                if (cancel.IsCancellationRequested)
                {
                    checkpoint?.Save(step, fingerprint, model, optimizer.Optimizer, generator, order, records);
                    model.eval();
                    yield break;
                }
                double start = clock.Elapsed.TotalSeconds;
                double lr = LrSchedule.At(epoch + (double)i / stepsPerEpoch, config);
                double loss;
                using (var scope = NewDisposeScope())
                {
                    // one batch, by the epoch's permutation
                    var index = order[(i * config.BatchSize)..((i + 1) * config.BatchSize)];
                    var batch = images.index_select(0, index);
                    var batchLabels = labels?.index_select(0, index);

                    // forward, backward, update
                    optimizer.SetLr(lr);
                    optimizer.Optimizer.zero_grad();
                    var lossTensor = lossOf(batch, batchLabels, generator);
                    lossTensor.backward();
                    if (config.ClipGrad is { } clip) nn.utils.clip_grad_norm_(trainable, clip);
                    optimizer.Optimizer.step();
                    if (afterStep is not null)
                        using (no_grad()) afterStep(step);
                    loss = lossTensor.item<float>();
                }
                if (!double.IsFinite(loss))
                    throw new InvalidOperationException($"The loss became {loss} at step {step} (epoch {epoch}); lower the learning rate ({lr:g3}) or clip gradients.");
                // AdamW's temporaries otherwise pile up in native memory (about a parameter copy per step) until a GC
                // runs their finalizers. They die young, so a gen-1 collection frees them; a full one costs ~160 ms in a
                // notebook worker, whose heap holds the Roslyn and F# compilers (measured), more than a quick-size step
                GC.Collect(1);
                double seconds = clock.Elapsed.TotalSeconds;
                var record = new StepRecord(step, epoch, loss, lr, config.BatchSize / Math.Max(seconds - start, 1e-9), seconds);
                if (checkpoint is not null)
                {
                    records.Add(record);
                    if ((step + 1) % checkpoint.Every == 0 && step + 1 < totalSteps)
                        checkpoint.Save(step + 1, fingerprint, model, optimizer.Optimizer, generator, order, records);
                }
                yield return record;
            }
        }
        model.eval();
    }
}
