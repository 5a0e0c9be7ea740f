using NotebookSsl.Masking;
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

    /// <summary>
    /// The loss of MAE's network without patch masking (relaxmim Table 5's "no masking" cells): the encoder sees every
    /// patch, the decoder gets no mask token, and MAE's per-patch MSE covers every patch.
    /// </summary>
    /// <param name="images">[N, C, H, W], already augmented.</param>
    public static Tensor UnmaskedLoss(MaskedAutoencoder mae, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(mae);
        long n = images.shape[0], l = mae.Config.Encoder.NumPatches;
        var latent = mae.Encoder.Encode(mae.Encoder.EmbedPatches(images)).Latent;                                   // [N, 1+L, D]
        var pred = mae.Decoder.Forward(latent, arange(l, device: images.device).unsqueeze(0).expand(n, -1)).Pred;    // [N, L, p²C]
        return MaeLoss.Compute(pred, Patches.Patchify(images, mae.Config.Encoder.PatchSize), ones(n, l, device: images.device), mae.Config.NormPixLoss);
    }

    /// <summary>As <see cref="Steps(MaskedAutoencoder, Tensor, TrainConfig, Func{Tensor, Generator, Tensor}?, CancellationToken, Checkpointing?)"/> with <see cref="UnmaskedLoss"/>: an autoencoder of (augmented) images.</summary>
    public static IEnumerable<StepRecord> UnmaskedSteps(MaskedAutoencoder mae, Tensor images, TrainConfig config,
        Func<Tensor, Generator, Tensor>? augment = null, CancellationToken cancel = default) =>
        Trainer.Steps(mae, images, null,
            (batch, _, generator) => UnmaskedLoss(mae, augment is null ? batch : augment(batch, generator)),
            config, cancel: cancel);

    /// <summary>
    /// Lazily trains <paramref name="mae"/> for <paramref name="budget"/>'s steps on an endless batch stream (a few
    /// images or one photo's crops, augmented by the stream, e.g. <see cref="Data.CropStream"/>); the run's generator
    /// (seeded by <c>config.Seed</c>) draws the masks. <paramref name="afterStep"/>(step) runs after each update under
    /// no_grad (e.g. to keep early-stopping checkpoints).
    /// </summary>
    public static IEnumerable<StepRecord> Steps(MaskedAutoencoder mae, IEnumerable<Tensor> batches, TrainConfig config, StepBudget budget,
        Action<long>? afterStep = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(mae);
        ArgumentNullException.ThrowIfNull(budget);
        return Trainer.StreamSteps(mae, batches, (batch, generator) => mae.Forward(batch, generator: generator).Loss, config, budget,
            afterStep: afterStep, cancel: cancel);
    }
}
