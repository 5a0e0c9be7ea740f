using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Training;

/// <summary>
/// The training of the student/EMA-teacher methods that follow DINO (DINO, Uni-SSL), on <see cref="Trainer"/>'s loop:
/// DINO's per-parameter gradient clipping (utils.clip_gradients), its freeze_last_layer and its cosine teacher momentum.
/// </summary>
internal static class EmaTraining
{
    /// <summary>
    /// Lazily trains <paramref name="trainable"/> (the student, and whatever else learns by gradient) on
    /// <paramref name="images"/>; after every step <paramref name="frozen"/> is put back to its value before training
    /// during the first <paramref name="freezeEpochs"/> epochs, and the teacher moves by <paramref name="updateTeacher"/>
    /// with momentum on DINO's cosine schedule from <paramref name="teacherMomentum"/> to 1.
    /// </summary>
    /// <param name="lossOf">The loss of a batch, with the run's generator and the epoch of the step (DINO's teacher temperature warms up by epoch).</param>
    internal static IEnumerable<StepRecord> Steps(Module model, IEnumerable<(string Name, Parameter Param)> trainable, Tensor images, TrainConfig train,
        Func<Tensor, Generator, int, Tensor> lossOf, double teacherMomentum, Action<double> updateTeacher,
        Parameter frozen, int freezeEpochs, CancellationToken cancel)
    {
        long stepsPerEpoch = 0, total = 0;   // set below, once the trainer has checked the config
        long done = 0;                       // steps finished: the epoch of the next step, for τ_t
        var start = frozen.detach().clone(); // taken before the first step (nothing trains until enumerated)
        var steps = Trainer.ImageSteps(model, images, null,
            (batch, _, generator) => lossOf(batch, generator, (int)(done / stepsPerEpoch)), train, Trainer.Clipping.PerParameter,
            parameters: trainable,
            afterStep: step =>
            {
                if (step / stepsPerEpoch < freezeEpochs) frozen.copy_(start);
                updateTeacher(Ema.CosineMomentum(teacherMomentum, step, total));
                done = step + 1;
            },
            cancel: cancel);
        stepsPerEpoch = images.shape[0] / train.BatchSize;
        total = Trainer.TotalSteps(images.shape[0], train);
        return steps;
    }
}
