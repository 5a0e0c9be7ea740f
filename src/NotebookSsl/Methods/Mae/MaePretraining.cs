using NotebookSsl.Runs;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Methods.Mae;

/// <summary>MAE pretraining (main_pretrain.py) on images held in memory.</summary>
public static class MaePretraining
{
    /// <summary>
    /// Lazily trains <paramref name="mae"/>; enumerate the records to run it. The run's generator draws
    /// the data order, the masks and the optional augmentation, so a seed replays the whole curve.
    /// </summary>
    /// <param name="cancel">Ends the stream between steps (see <see cref="Trainer.Steps"/>).</param>
    /// <param name="checkpoint">Saves and resumes the training (see <see cref="Checkpointing"/>).</param>
    public static IEnumerable<StepRecord> Steps(MaskedAutoencoder mae, Tensor images, TrainConfig config,
        Func<Tensor, Generator, Tensor>? augment = null, CancellationToken cancel = default, Checkpointing? checkpoint = null) =>
        Trainer.Steps(mae, images, null,
            (batch, _, generator) => mae.Forward(augment is null ? batch : augment(batch, generator), generator: generator).Loss,
            config, cancel: cancel, checkpoint: checkpoint);
}
