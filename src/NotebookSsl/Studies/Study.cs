using System.Diagnostics;
using NotebookSsl.Analysis;
using NotebookSsl.Data;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Studies;

/// <summary>What a pretraining left: its loss curve, time and trainable parameter count.</summary>
public sealed record PretrainRecord(IReadOnlyList<double> Loss, double Seconds, long Parameters)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public double FinalLoss => Loss.Count > 0 ? Loss[^1] : double.NaN;
}

/// <summary>A pretrained model from the store (trained now or loaded); dispose it to free the weights.</summary>
/// <param name="Run">Its run folder's name: what its probe scores are stored under.</param>
public sealed record Pretrained(PretrainMethod Method, int Seed, Module Model, VisionTransformer Encoder, PretrainRecord Record,
    bool Loaded, string Run) : IDisposable
{
    /// <summary>The model as its own type, e.g. <c>run.As&lt;MaskedAutoencoder&gt;()</c> for the decoder.</summary>
    public TModel As<TModel>() where TModel : Module => Model as TModel
        ?? throw new InvalidCastException($"{Method.Name} is a {Model.GetType().Name}, not a {typeof(TModel).Name}.");

    public void Dispose() => Model.Dispose();
}

/// <summary>One arm at one seed: its scores under the protocol and its pretraining (a baseline has no pretraining: NaN loss, 0 s).</summary>
public sealed record ArmRun(string Arm, int Seed, Probes.ProbeScores Scores, double FinalLoss = double.NaN, double Seconds = 0);

/// <summary>
/// A study at one size: the size's data, the run store and the evaluation protocol, and the one way to pretrain any
/// method through the store (<see cref="Pretrain"/>: seeded build, the size's budget, the loss curve and clock, eval
/// mode after). The seed × arm loop is the notebook's own: pretrain, <see cref="Score"/>, and the two baselines.
/// </summary>
public sealed class Study
{
    readonly Action<string>? log;

    public Study(StudySize size, Evaluation evaluation, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(size);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (evaluation.Protocol != size.Protocol) throw new ArgumentException("The evaluation must use the size's protocol.", nameof(evaluation));
        if (evaluation.Store is null) throw new ArgumentException("A study keeps its runs: give the evaluation a run store.", nameof(evaluation));
        if (evaluation.Train.Count < size.Pretrain.BatchSize)
            throw new ArgumentException($"{evaluation.Train.Count} train images are fewer than one pretraining batch of {size.Pretrain.BatchSize}.", nameof(evaluation));
        (Size, Evaluation, this.log) = (size, evaluation, log);
    }

    /// <summary>The size's Fashion-MNIST subsets and the store (default: $NBSSL_RUNS, else runs/ at the repository root).</summary>
    public static Study Open(StudySize size, RunStore? store = null, Action<string>? log = null, string? dataRoot = null) =>
        new(size, Evaluation.Open(size.Protocol, store, log, dataRoot), log);

    public StudySize Size { get; }
    public Evaluation Evaluation { get; }
    public RunStore Store => Evaluation.Store!;
    /// <summary>The pretraining images (and the frozen probes' training set).</summary>
    public ImageDataset Train => Evaluation.Train;
    /// <summary>The held-out images every probe scores.</summary>
    public ImageDataset Test => Evaluation.Test;
    /// <summary>The first <see cref="StudySize.AnalysisImages"/> held-out images, for attention and representation measures.</summary>
    public Tensor AnalysisImages => Test.Images.slice(0, 0, Math.Min(Size.AnalysisImages, Test.Count), 1);

    /// <summary>The size's MAE baseline (the same run in every notebook at this size).</summary>
    public PretrainMethod Mae => PretrainMethod.Mae(Size.Mae);

    /// <summary>The run key of <paramref name="method"/> at <paramref name="seed"/>: its kind, config, data and budget.</summary>
    public RunKey KeyOf(PretrainMethod method, int seed) =>
        new(method.Kind, new { Data = Train.Name.Split('[')[0], TrainImages = Train.Count, Model = method.Config, Pretrain = TrainOf(method, seed) }, seed);

    TrainConfig TrainOf(PretrainMethod method, int seed) => (method.Train ?? Size.Pretrain) with { Seed = seed };

    /// <summary>
    /// <paramref name="method"/> pretrained on the study's images at <paramref name="seed"/>: from the store, or trained now
    /// (the model built after seeding, so a loaded and a trained run start alike) and stored. In eval mode.
    /// </summary>
    /// <param name="onStep">Every step of a training run now (a stored run is loaded: no steps), e.g. a live curve.</param>
    public Pretrained Pretrain(PretrainMethod method, int seed, Action<StepRecord>? onStep = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        var key = KeyOf(method, seed);
        var run = Store.GetOrTrain(key, () => Seeds.Build(seed, method.Build), model =>
        {
            log?.Invoke($"pretraining {method.Name}, seed {seed} ({key})");
            var clock = Stopwatch.StartNew();
            var losses = method.Steps(model, Train, TrainOf(method, seed), cancel).Collect(onStep).Select(s => s.Loss).ToList();
            cancel.ThrowIfCancellationRequested();   // an interrupted run is not stored
            return new PretrainRecord(losses, clock.Elapsed.TotalSeconds, model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()));
        });
        if (run.Loaded) log?.Invoke($"loaded {method.Name}, seed {seed} from {run.Folder}");
        run.Model.eval();
        return new Pretrained(method, seed, run.Model, method.EncoderOf(run.Model), run.Metrics, run.Loaded, Path.GetFileName(run.Folder));
    }

    /// <summary>A pretrained encoder's probes under the protocol (stored beside its run); <paramref name="cancel"/> stops a fine-tune within a step.</summary>
    public Probes.ProbeScores Score(Pretrained pretrained, Probe probes = Probe.Standard, CancellationToken cancel = default) =>
        Evaluation.Score(pretrained.Encoder, pretrained.Run, pretrained.Seed, probes, cancel);

    /// <summary>Pretrains and scores one arm at one seed (frees the model after): one row of a comparison.</summary>
    public ArmRun Run(PretrainMethod method, int seed, Probe probes = Probe.Standard, Action<StepRecord>? onStep = null, CancellationToken cancel = default)
    {
        using var run = Pretrain(method, seed, onStep, cancel);
        return new ArmRun(method.Name, seed, Score(run, probes, cancel), run.Record.FinalLoss, run.Record.Seconds);
    }

    /// <summary>The random-init baseline: the size's encoder, never trained, through the same probes.</summary>
    public ArmRun RandomInit(int seed, Probe probes = Probe.Standard, CancellationToken cancel = default) =>
        new("random init", seed, Evaluation.RandomInit(Size.Encoder, seed, probes, cancel));

    /// <summary>The raw-pixel baseline: the same frozen probes on the standardised pixels (no fine-tune).</summary>
    public ArmRun RawPixels(int seed, Probe probes = Probe.Standard) =>
        new("raw pixels", seed, Evaluation.RawPixels(seed, probes & ~Probe.FineTune, Size.Encoder.PatchSize));
}

/// <summary>One arm of a comparison over its seeds: mean ± std of each probe, of the final pretraining loss and of its time.</summary>
public sealed record ArmRow(string Arm, MeanStd Linear, MeanStd Knn, MeanStd FineTune, MeanStd Attentive, MeanStd FinalLoss, MeanStd Seconds)
{
    /// <summary>One row per arm, in the order the arms first appear.</summary>
    public static IReadOnlyList<ArmRow> Summarise(IEnumerable<ArmRun> runs) =>
        runs.GroupBy(r => r.Arm).Select(g => new ArmRow(g.Key,
            Of(g, r => r.Scores.Linear), Of(g, r => r.Scores.Knn), Of(g, r => r.Scores.FineTune), Of(g, r => r.Scores.Attentive),
            MeanStd.Of(g.Select(r => r.FinalLoss)), MeanStd.Of(g.Select(r => r.Seconds)))).ToArray();

    static MeanStd Of(IEnumerable<ArmRun> runs, Func<ArmRun, double> pick) => MeanStd.Of(runs.Select(pick));

    /// <summary>The mean ± std of one probe.</summary>
    public MeanStd this[Probe probe] => probe switch
    {
        Probe.Linear => Linear,
        Probe.Knn => Knn,
        Probe.FineTune => FineTune,
        Probe.Attentive => Attentive,
        _ => throw new ArgumentOutOfRangeException(nameof(probe), probe, "Name one probe."),
    };

    /// <summary>
    /// One arm's per-seed values of a probe in percent, ordered by seed (what a <see cref="Findings.Claim"/> side holds),
    /// e.g. <c>ArmRow.Percent(runs, "MAE", Probe.FineTune)</c>.
    /// </summary>
    public static double[] Percent(IEnumerable<ArmRun> runs, string arm, Probe probe)
    {
        var values = runs.Where(r => r.Arm == arm).OrderBy(r => r.Seed).Select(r => 100 * r.Scores[probe]).ToArray();
        return values.Length > 0 ? values : throw new ArgumentException($"No run of '{arm}' among the arms {string.Join(", ", runs.Select(r => r.Arm).Distinct())}.", nameof(arm));
    }
}
