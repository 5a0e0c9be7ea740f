using NotebookSsl.Data;
using NotebookSsl.Masking;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>
/// Held-out top-1 accuracies in [0, 1] of one encoder under one <see cref="EvalProtocol"/>; NaN where a probe was not
/// run (fine-tuning raw pixels, or a probe not asked for).
/// </summary>
public sealed record ProbeScores(double Linear, double Knn, double FineTune, double Attentive)
{
    /// <summary>No probe run yet.</summary>
    public static ProbeScores None { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>The score of one probe.</summary>
    public double this[Probe probe] => probe switch
    {
        Probe.Linear => Linear,
        Probe.Knn => Knn,
        Probe.FineTune => FineTune,
        Probe.Attentive => Attentive,
        _ => throw new ArgumentOutOfRangeException(nameof(probe), probe, "Name one probe: Linear, Knn, FineTune or Attentive."),
    };
}

/// <summary>
/// Scores encoders by an <see cref="EvalProtocol"/> on its data, eagerly, each probe's result kept in the run store
/// keyed by the encoder's run and the probe's part of the protocol, so probing again is free. The frozen features
/// are computed once per encoder and shared by the linear probe and k-NN. The two baselines every comparison shows
/// beside a method, a random initialisation of the same encoder and the raw pixels, go through the same probes.
/// </summary>
public sealed class Evaluation
{
    readonly Action<string>? log;

    public Evaluation(EvalProtocol protocol, ImageDataset train, ImageDataset test, RunStore? store, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        protocol.Validate();
        if (train.Count < protocol.TrainImages)
            throw new ArgumentException($"The protocol trains its probes on {protocol.TrainImages} images (EvalProtocol.TrainImages); the training set has {train.Count}.", nameof(train));
        if (test.Count < protocol.TestImages)
            throw new ArgumentException($"The protocol scores on {protocol.TestImages} held-out images (EvalProtocol.TestImages); the test set has {test.Count}.", nameof(test));
        (Protocol, Store, this.log) = (protocol, store, log);
        Train = train.Count == protocol.TrainImages ? train : train.Take(protocol.TrainImages);
        Test = test.Count == protocol.TestImages ? test : test.Take(protocol.TestImages);
        FineTuneSet = Train.Take(protocol.FineTuneImages);
    }

    /// <summary>The protocol's Fashion-MNIST subsets (the first N of each split) and the store (default folder unless given).</summary>
    public static Evaluation Open(EvalProtocol protocol, RunStore? store = null, Action<string>? log = null, string? dataRoot = null)
    {
        var (train, test) = FashionMnist.LoadSubsets(protocol.TrainImages, protocol.TestImages, dataRoot);
        return new Evaluation(protocol, train, test, store ?? new RunStore(), log);
    }

    public EvalProtocol Protocol { get; }
    /// <summary>Where scores are kept; null: computed every time (the main job keeps them in its output folder).</summary>
    public RunStore? Store { get; }
    /// <summary>The frozen probes' training images (and the pretraining images of the size).</summary>
    public ImageDataset Train { get; }
    /// <summary>The labelled images fine-tuning uses: the first <see cref="EvalProtocol.FineTuneImages"/> of <see cref="Train"/> (all of them at quick and full).</summary>
    public ImageDataset FineTuneSet { get; }
    /// <summary>The held-out images every probe scores.</summary>
    public ImageDataset Test { get; }

    /// <summary>
    /// The asked-for probes of <paramref name="encoder"/>, named by <paramref name="run"/> (its run folder's name, or a
    /// baseline's name): each from the store, or run now and stored. <paramref name="seed"/> seeds the probes' heads,
    /// data order and mixup. <paramref name="cancel"/> stops a fine-tune within a step (nothing is stored then).
    /// </summary>
    public ProbeScores Score(VisionTransformer encoder, string run, int seed, Probe probes = Probe.Standard, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return ScoreLazily(() => encoder, encoder.Config, run, seed, probes, cancel);
    }

    /// <summary>
    /// The random-initialisation baseline: an encoder of <paramref name="config"/>'s shape initialised from
    /// <paramref name="seed"/>, never trained, through the same probes (stored like any encoder's; built only when a
    /// probe is not stored yet).
    /// </summary>
    public ProbeScores RandomInit(VitConfig config, int seed, Probe probes = Probe.Standard, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        VisionTransformer? encoder = null;
        try { return ScoreLazily(() => encoder ??= Probes.RandomInit.Encoder(config, seed), config, RandomInitName(config, seed), seed, probes, cancel); }
        finally { encoder?.Dispose(); }
    }

    ProbeScores ScoreLazily(Func<VisionTransformer> encoder, VitConfig shape, string run, int seed, Probe probes, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(run)) throw new ArgumentException("Name the encoder's run (its folder name or a baseline's name).", nameof(run));
        Shapes.Image(Test.Images[..1], shape);
        var p = Protocol;
        int classes = Train.NumClasses;
        using var features = new FeaturePair(() => (
            Probes.Features.Extract(encoder(), Train.Images, p.Feature),     // [N, D]
            Probes.Features.Extract(encoder(), Test.Images, p.Feature)));    // [M, D]
        return new ProbeScores(
            Stored(probes, Probe.Linear, run, seed, () => LinearOn(features.Value)),
            Stored(probes, Probe.Knn, run, seed, () => KnnOn(features.Value)),
            Stored(probes, Probe.FineTune, run, seed, () =>
            {
                var accuracy = FineTuning.Run(encoder(), FineTuneSet.Images, FineTuneSet.Labels, Test.Images, Test.Labels, classes,
                    p.FineTune with { Seed = seed }, p.LayerDecay, cancel: cancel, mixup: p.FineTuneMixup).Accuracy;
                cancel.ThrowIfCancellationRequested();   // a fine-tune cut short is not a score: nothing stored
                return accuracy;
            }),
            Stored(probes, Probe.Attentive, run, seed, () =>
                AttentiveProbe.Run(encoder(), Train.Images, Train.Labels, Test.Images, Test.Labels, classes, p.Attentive with { Seed = seed }).Accuracy));
    }

    /// <summary>
    /// The raw-pixel baseline: the same linear probe and k-NN on the standardised pixels (<see cref="RawPixels"/>), and
    /// the attentive probe over the raw p×p patches (<paramref name="patchSize"/>) when asked. Fine-tuning has nothing
    /// to tune: NaN.
    /// </summary>
    public ProbeScores RawPixels(int seed, Probe probes = Probe.Standard, int patchSize = 4)
    {
        const string name = "raw-pixels-standardised";
        using var pixels = new FeaturePair(() => Probes.RawPixels.Standardised(Train.Images, Test.Images));   // [N, P], [M, P]
        return new ProbeScores(
            Stored(probes, Probe.Linear, name, seed, () => LinearOn(pixels.Value)),
            Stored(probes, Probe.Knn, name, seed, () => KnnOn(pixels.Value)),
            double.NaN,
            Stored(probes, Probe.Attentive, $"{name}-p{patchSize}", seed, () =>
            {
                using var scope = NewDisposeScope();
                var trainPatches = Patches.Patchify(Train.Images, patchSize);   // [N, L, p²C]
                var testPatches = Patches.Patchify(Test.Images, patchSize);     // [M, L, p²C]
                return AttentiveProbe.OnTokens(trainPatches, Train.Labels, testPatches, Test.Labels, Train.NumClasses, heads: 1,
                    Protocol.Attentive with { Seed = seed }).Accuracy;
            }));
    }

    // the protocol's frozen probes on a pair of cached [N, D] / [M, D] features (an encoder's, or the pixels)
    double LinearOn((Tensor Train, Tensor Test) f) =>
        LinearProbe.Converged(f.Train, Train.Labels, f.Test, Test.Labels, Train.NumClasses, Protocol.LinearIterations, Protocol.LinearWeightDecay).Accuracy;

    double KnnOn((Tensor Train, Tensor Test) f) =>
        Knn.OnFeatures(f.Train, Train.Labels, f.Test, Test.Labels, Train.NumClasses, Protocol.KnnK, Protocol.KnnTemperature).Accuracy;

    // a probe's score, if asked for: from the store, or computed now (and stored when there is a store)
    double Stored(Probe asked, Probe probe, string run, int seed, Func<double> compute)
    {
        if (!asked.HasFlag(probe)) return double.NaN;
        double Compute() { log?.Invoke($"{probe} probe of {run} (seed {seed})"); return compute(); }
        return Store is null ? Compute() : Store.GetOrCompute(Key(probe, run, seed), Compute).Metrics;
    }

    /// <summary>Train and test features computed at the first use (a probe that is stored needs none), disposed with the pair.</summary>
    sealed class FeaturePair(Func<(Tensor Train, Tensor Test)> compute) : IDisposable
    {
        (Tensor Train, Tensor Test)? value;
        public (Tensor Train, Tensor Test) Value => value ??= compute();
        public void Dispose()
        {
            if (value is { } v) { v.Train.Dispose(); v.Test.Dispose(); }
        }
    }

    /// <summary>The name a random-init encoder's probes are stored under.</summary>
    public static string RandomInitName(VitConfig c, int seed) => $"random-init-vit{c.Depth}x{c.Width}h{c.Heads}p{c.PatchSize}-{seed}";

    // a probe's score is defined by the encoder's run, the data, the probe's part of the protocol and the seed
    RunKey Key(Probe probe, string run, int seed)
    {
        var p = Protocol;
        object recipe = probe switch
        {
            Probe.Linear => new { p.LinearIterations, p.LinearWeightDecay, p.Feature },
            Probe.Knn => new { p.KnnK, p.KnnTemperature, p.Feature },
            Probe.FineTune => new { p.FineTuneImages, p.FineTune, p.FineTuneMixup, p.LayerDecay },
            _ => new { p.Attentive },
        };
        return new($"probe-{probe.ToString().ToLowerInvariant()}", new { Encoder = run, Data = Train.Name.Split('[')[0], p.TrainImages, p.TestImages, Recipe = recipe }, seed);
    }
}
