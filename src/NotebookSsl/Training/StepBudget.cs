using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Training;

/// <summary>
/// A training length in steps rather than epochs, for data too small to count in epochs: an epoch over one image
/// would be one step (relaxmim §4). MAE's warmup-then-cosine schedule is laid over <see cref="Steps"/> steps.
/// </summary>
/// <param name="Steps">Optimiser steps in all.</param>
/// <param name="WarmupSteps">Steps of linear warmup at the start.</param>
public sealed record StepBudget(int Steps, int WarmupSteps)
{
    /// <summary>Checks the budget: at least one step, warmup within it.</summary>
    public StepBudget Validate()
    {
        if (Steps < 1) throw new ArgumentException($"A step budget needs at least 1 step, got {Steps}.");
        if (WarmupSteps < 0 || WarmupSteps > Steps) throw new ArgumentException($"WarmupSteps must lie in [0, {Steps}], got {WarmupSteps}.");
        return this;
    }

    /// <summary>The learning rate of step <paramref name="step"/> (0-based): MAE's schedule with steps in place of epochs.</summary>
    public double LrAt(long step, TrainConfig config) =>
        LrSchedule.At(step, config with { Epochs = Steps, WarmupEpochs = WarmupSteps });
}

/// <summary>
/// Training for a <see cref="StepBudget"/> on an endless batch stream (e.g. <see cref="Data.CropStream"/>). The same
/// loop as <see cref="Trainer.Steps"/> (AdamW, per-step learning rate, optional clipping, a dispose scope per step,
/// afterStep and cancellation), drawing batches from the stream instead of permuting a tensor. Kept beside
/// <see cref="Trainer"/> rather than inside it so the epoch loop stays as it is.
/// </summary>
public static class StreamTrainer
{
    /// <summary>
    /// Lazily trains <paramref name="model"/> for <paramref name="budget"/>'s steps, one batch of <paramref name="batches"/> per
    /// step; enumerate the records to run it. <paramref name="lossOf"/> gets the run's own generator (seeded by
    /// <c>config.Seed</c>) for masks; the stream should draw from its own. <c>config.Epochs</c> and
    /// <c>config.WarmupEpochs</c> are not used; <c>config.BatchSize</c> must be the stream's batch size (it scales the
    /// learning rate). <paramref name="afterStep"/>(step) runs right after the optimizer step under no_grad (e.g. to
    /// keep a checkpoint); <paramref name="cancel"/> is checked between steps and ends the stream (as <see cref="Trainer.Steps"/>).
    /// </summary>
    public static IEnumerable<StepRecord> Steps(Module model, IEnumerable<Tensor> batches, Func<Tensor, Generator, Tensor> lossOf, TrainConfig config,
        StepBudget budget, IEnumerable<(string Name, Parameter Param)>? parameters = null, Action<long>? afterStep = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(lossOf);
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        if (config.BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {config.BatchSize}.");
        if (!(config.PeakLr > 0)) throw new ArgumentException($"The learning rate must be positive, got {config.PeakLr}.");
        return Loop(model, batches, lossOf, config, budget, parameters, afterStep, cancel);
    }

    static IEnumerable<StepRecord> Loop(Module model, IEnumerable<Tensor> batches, Func<Tensor, Generator, Tensor> lossOf, TrainConfig config,
        StepBudget budget, IEnumerable<(string Name, Parameter Param)>? parameters, Action<long>? afterStep, CancellationToken cancel)
    {
        var named = (parameters ?? model.named_parameters().Select(np => (np.name, np.parameter))).ToList();
        using var optimizer = Optim.AdamW(named, config);
        var trainable = named.Where(np => np.Item2.requires_grad).Select(np => np.Item2).ToList();
        using var generator = new Generator((ulong)config.Seed);
        var clock = Stopwatch.StartNew();
        using var stream = batches.GetEnumerator();
        model.train();
        for (long step = 0; step < budget.Steps; step++)
        {
            if (cancel.IsCancellationRequested) { model.eval(); yield break; }   // as Trainer.Steps: the stream ends, the weights stay
            double start = clock.Elapsed.TotalSeconds;
            double lr = budget.LrAt(step, config);
            double loss;
            using (var scope = NewDisposeScope())
            {
                // the next batch of the stream
                if (!stream.MoveNext()) throw new InvalidOperationException($"The batch stream ended after {step} of {budget.Steps} steps.");
                var batch = stream.Current;
                if (batch.shape[0] != config.BatchSize)
                    throw new ArgumentException($"The stream gave a batch of {batch.shape[0]} where the config says {config.BatchSize}.");

                // forward, backward, update
                optimizer.SetLr(lr);
                optimizer.Optimizer.zero_grad();
                var lossTensor = lossOf(batch, generator);
                lossTensor.backward();
                if (config.ClipGrad is { } clip) nn.utils.clip_grad_norm_(trainable, clip);
                optimizer.Optimizer.step();
                loss = lossTensor.item<float>();
            }
            if (afterStep is not null)
                using (no_grad()) afterStep(step); // outside the step's scope: what it keeps is its own
            if (!double.IsFinite(loss))
                throw new InvalidOperationException($"The loss became {loss} at step {step}; lower the learning rate ({lr:g3}) or clip gradients.");
            GC.Collect(1); // as in Trainer: AdamW's temporaries otherwise pile up in native memory; gen 1 frees them
            double seconds = clock.Elapsed.TotalSeconds;
            yield return new StepRecord(step, 0, loss, lr, config.BatchSize / Math.Max(seconds - start, 1e-9), seconds);
        }
        model.eval();
    }
}
