using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>
/// End-to-end fine-tuning (main_finetune.py, without drop-path; mixup, cutmix and label smoothing when a
/// <see cref="Mixup"/> is given): a copy of the encoder with
/// MAE's global-pool head, AdamW (0.9, 0.999), weight decay 0.05, layer-wise learning-rate decay, warmup
/// and cosine. The caller's encoder is left as it was.
/// </summary>
public static class FineTuning
{
    /// <summary>A recipe that fine-tunes a laptop-size ViT in a few epochs.</summary>
    public static TrainConfig DefaultConfig { get; } = new()
    {
        Epochs = 5, BatchSize = 128, BaseLr = 1e-3, Beta2 = 0.999, WeightDecay = 0.05, WarmupEpochs = 1,
    };

    /// <summary>Layer-wise decay of the learning rate (MAE ViT-B: 0.65 or 0.75).</summary>
    public const double DefaultLayerDecay = 0.75;

    public static ProbeResult Run(VisionTransformer encoder, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, TrainConfig? config = null, double layerDecay = DefaultLayerDecay, Action<StepRecord>? onStep = null,
        CancellationToken cancel = default, Mixup? mixup = null)
    {
        ProbeLabels.Check(trainLabels, trainImages.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, testImages.shape[0], numClasses, nameof(testLabels));
        config ??= DefaultConfig;
        mixup?.Validate();
        if (mixup is not null && config.BatchSize % 2 != 0) throw new ArgumentException($"Mixup needs an even batch size, got {config.BatchSize}.");
        using var model = Seeds.Build(config.Seed, () => new Classifier(Copy(encoder), numClasses));
        var steps = Trainer.Steps(model, trainImages, trainLabels,
                     (x, y, g) =>
                     {
                         if (mixup is null) return nn.functional.cross_entropy(model.forward(x), y!);
                         var (mixed, targets) = mixup.Apply(x, y!, numClasses, g);   // [N, C, H, W], [N, K]
                         return Mixup.SoftTargetCrossEntropy(model.forward(mixed), targets);
                     }, config,
                     model.Encoder.named_parameters().Select(np => (np.name, np.parameter))
                         .Concat(model.named_parameters().Where(np => !np.name.StartsWith("encoder.")).Select(np => (np.name, np.parameter))),
                     Optim.LayerDecay(encoder.Config.Depth, layerDecay), cancel: cancel)
            .Collect(onStep);
        model.eval();
        return new ProbeResult("fine-tune", Features.Accuracy(model.forward, testImages, testLabels), steps);
    }

    /// <summary>A new encoder of the same shape holding a copy of the weights.</summary>
    public static VisionTransformer Copy(VisionTransformer encoder)
    {
        var copy = new VisionTransformer(encoder.Config);
        copy.load_state_dict(encoder.state_dict());
        return copy;
    }
}
