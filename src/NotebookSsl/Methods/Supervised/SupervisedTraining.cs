using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Methods.Supervised;

/// <summary>
/// A ViT trained from a random initialisation with labels (the supervised reference of Fig. 3a, where
/// the paper uses DeiT): MAE's global-pool classifier (<see cref="Classifier"/>) on a fresh
/// <see cref="VisionTransformer"/>, cross-entropy, AdamW with warmup and cosine. No distillation, mixup,
/// RandAugment or drop-path: at laptop size those are left out.
/// </summary>
public static class SupervisedTraining
{
    /// <summary>DeiT's optimiser at laptop size: AdamW (0.9, 0.999), base rate 5e-4 per 512 images, weight decay 0.05.</summary>
    public static TrainConfig DefaultConfig { get; } = new()
    {
        Epochs = 10, BatchSize = 128, BaseLr = 5e-4 * 256 / 512, Beta2 = 0.999, WeightDecay = 0.05, WarmupEpochs = 1,
    };

    /// <summary>A classifier on a new, randomly initialised encoder (seeded by <paramref name="seed"/>).</summary>
    public static Classifier Build(VitConfig config, int numClasses, int seed)
    {
        return Seeds.Build(seed, () => new Classifier(new VisionTransformer(config), numClasses));
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place on images [N, C, H, W] and labels [N]; lazy like
    /// <see cref="Trainer.Steps"/>: enumerate the records to run it. The trained encoder is <c>model.Encoder</c>.
    /// </summary>
    /// <param name="augment">Optional per-batch augmentation drawing from the run's generator.</param>
    /// <param name="cancel">Ends the stream between steps (see <see cref="Trainer.Steps"/>).</param>
    public static IEnumerable<StepRecord> Steps(Classifier model, Tensor images, Tensor labels, TrainConfig config,
        Func<Tensor, Generator, Tensor>? augment = null, CancellationToken cancel = default, Checkpointing? checkpoint = null)
    {
        Shapes.Image(images, model.Encoder.Config);
        return Trainer.Steps(model, images, labels,
            (x, y, generator) => nn.functional.cross_entropy(model.forward(augment is null ? x : augment(x, generator)), y!), config,
            cancel: cancel, checkpoint: checkpoint);
    }

    /// <summary>Held-out top-1 accuracy of a trained classifier.</summary>
    public static double Accuracy(Classifier model, Tensor images, Tensor labels)
    {
        model.eval();
        return Features.Accuracy(model.forward, images, labels);
    }
}
