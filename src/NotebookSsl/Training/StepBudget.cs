namespace NotebookSsl.Training;

/// <summary>
/// A training length in steps rather than epochs, for data too small to count in epochs: an epoch over one image
/// would be one step (relaxmim §4). MAE's warmup-then-cosine schedule is laid over <see cref="Steps"/> steps
/// (<see cref="Trainer.StreamSteps"/>).
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
    public double LrAt(long step, TrainConfig config) => LrSchedule.At(step, Schedule(config));

    /// <summary><paramref name="config"/> with this budget's steps in place of its epochs, as <see cref="LrSchedule"/> reads it.</summary>
    internal TrainConfig Schedule(TrainConfig config) => config with { Epochs = Steps, WarmupEpochs = WarmupSteps };
}
