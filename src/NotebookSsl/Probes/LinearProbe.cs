using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Probes;

/// <summary>
/// MAE's linear probe (main_linprobe.py): a frozen encoder, BatchNorm without affine parameters, one
/// linear layer. The features are computed once, so the probe trains in seconds.
/// </summary>
public static class LinearProbe
{
    /// <summary>AdamW without weight decay on the head; enough epochs for the frozen features to be read off.</summary>
    public static TrainConfig DefaultConfig { get; } = new()
    {
        Epochs = 30, BatchSize = 256, BaseLr = 4e-3, Beta2 = 0.999, WeightDecay = 0, WarmupEpochs = 2,
    };

    sealed class Head : Module<Tensor, Tensor>
    {
        readonly BatchNorm1d bn;
        readonly Linear head;

        public Head(int width, int classes) : base(nameof(Head))
        {
            bn = BatchNorm1d(width, eps: 1e-6, affine: false);
            head = Linear(width, classes);
            RegisterComponents();
            using var _ = no_grad();
            init.trunc_normal_(head.weight!, std: 0.01);
            init.zeros_(head.bias!);
        }

        public override Tensor forward(Tensor features) => head.forward(bn.forward(features)); // [N, classes]
    }

    public static ProbeResult Run(VisionTransformer encoder, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, TrainConfig? config = null, FeatureKind feature = FeatureKind.Cls, Action<StepRecord>? onStep = null,
        CancellationToken cancel = default)
    {
        ProbeLabels.Check(trainLabels, trainImages.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, testImages.shape[0], numClasses, nameof(testLabels));
        using var trainFeatures = Features.Extract(encoder, trainImages, feature); // [N, D]
        using var testFeatures = Features.Extract(encoder, testImages, feature);   // [M, D]
        return OnFeatures(trainFeatures, trainLabels, testFeatures, testLabels, numClasses, config, onStep, cancel);
    }

    /// <summary>The probe on features already extracted ([N, D] and [M, D]), e.g. shared with k-NN.</summary>
    public static ProbeResult OnFeatures(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        int numClasses, TrainConfig? config = null, Action<StepRecord>? onStep = null, CancellationToken cancel = default)
    {
        if (trainFeatures.dim() != 2 || testFeatures.dim() != 2 || trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"Features must be [N, D] and [M, D], got {Shapes.Of(trainFeatures)} and {Shapes.Of(testFeatures)}.");
        ProbeLabels.Check(trainLabels, trainFeatures.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, testFeatures.shape[0], numClasses, nameof(testLabels));
        config ??= DefaultConfig;
        Seeds.Set(config.Seed);
        using var probe = new Head((int)trainFeatures.shape[1], numClasses);
        var steps = Trainer.Steps(probe, trainFeatures, trainLabels,
                     (x, y, _) => functional.cross_entropy(probe.forward(x), y!), config, cancel: cancel)
            .Collect(onStep);
        probe.eval();
        return new ProbeResult("linear", Features.Accuracy(probe.forward, testFeatures, testLabels), steps);
    }
}
