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
            head = Init.Linear(width, classes);
            RegisterComponents();
            using var _ = no_grad();
            Init.TruncNormal(head.weight!, 0.01);
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

    /// <summary>
    /// The probe trained to convergence: the same head (BatchNorm without affine, then linear), fitted by full-batch
    /// gradient steps on cached features (a second per encoder). BatchNorm without affine at evaluation is a standardisation by the training features' mean and
    /// variance, so the features are standardised once and the linear layer is fitted to the optimum of the mean
    /// cross-entropy plus <paramref name="weightDecay"/>/2 ‖W‖² (a small ridge that keeps the optimum finite when classes
    /// separate). The problem is convex and starts from zero weights, so there is no seed, and it is run to its optimum rather
    /// than for an epoch budget: what it reads off is what the features hold. Steps: the loss every 10 iterations.
    /// </summary>
    /// <param name="iterations">Full-batch Adam iterations (lr 0.2, cosine to zero).</param>
    public static ProbeResult Converged(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        int numClasses, int iterations = 1000, double weightDecay = 1e-4)
    {
        if (trainFeatures.dim() != 2 || testFeatures.dim() != 2 || trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"Features must be [N, D] and [M, D], got {Shapes.Of(trainFeatures)} and {Shapes.Of(testFeatures)}.");
        ProbeLabels.Check(trainLabels, trainFeatures.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, testFeatures.shape[0], numClasses, nameof(testLabels));
        if (iterations < 1) throw new ArgumentException($"iterations must be at least 1, got {iterations}.", nameof(iterations));
        if (!(weightDecay >= 0)) throw new ArgumentException($"weightDecay must be a number ≥ 0, got {weightDecay}.", nameof(weightDecay));
        using var scope = NewDisposeScope();
        // BatchNorm without affine, as evaluated: the training features' mean and (biased) variance, eps 1e-6
        var x = trainFeatures.to(ScalarType.Float32);                                          // [N, D]
        var mean = x.mean(new long[] { 0 }, keepdim: true);                                   // [1, D]
        var scale = (x.var(0, unbiased: false, keepdim: true) + 1e-6).sqrt();                 // [1, D]
        var train = (x - mean) / scale;                                                       // [N, D]
        var test = (testFeatures.to(ScalarType.Float32) - mean) / scale;                     // [M, D]
        var y = trainLabels.to(ScalarType.Int64);

        var weight = new Parameter(zeros(numClasses, train.shape[1]));                          // [K, D]
        var bias = new Parameter(zeros(numClasses));                                            // [K]
        // full-batch Adam with a cosine decay to zero: on a convex loss it settles at the optimum (scripts/protocol-check
        // compares half and twice the iterations). libtorch's L-BFGS would do too, but warns on every construction
        using var optimizer = optim.Adam([weight, bias], lr: 0.2);
        var losses = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            using var step = NewDisposeScope();
            foreach (var group in optimizer.ParamGroups) group.LearningRate = 0.2 * 0.5 * (1 + Math.Cos(Math.PI * i / iterations));
            optimizer.zero_grad();
            var loss = functional.cross_entropy(functional.linear(train, weight, bias), y) + 0.5 * weightDecay * weight.pow(2).sum();
            loss.backward();
            optimizer.step();
            if (i % 10 == 0 || i == iterations - 1) losses.Add(loss.item<float>());
        }
        using var _ = no_grad();
        double accuracy = Features.Accuracy(f => functional.linear(f, weight, bias), test, testLabels);
        var steps = losses.Select((l, i) => new StepRecord(i, 0, l, 1, 0, 0)).ToArray();
        return new ProbeResult("linear", accuracy, steps);
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
        using var probe = Seeds.Build(config.Seed, () => new Head((int)trainFeatures.shape[1], numClasses));
        var steps = Trainer.Steps(probe, trainFeatures, trainLabels,
                     (x, y, _) => functional.cross_entropy(probe.forward(x), y!), config, cancel: cancel)
            .Collect(onStep);
        probe.eval();
        return new ProbeResult("linear", Features.Accuracy(probe.forward, testFeatures, testLabels), steps);
    }
}
