// Does the evaluation protocol converge? Prints, for a randomly initialised encoder of the size's shape over three
// seeds, the linear probe, k-NN and fine-tune accuracy under EvalProtocol.For(size), scored on its held-out images,
// with the raw-pixel baseline beside them. The protocol is trusted when random init's fine-tune reaches its own
// linear probe (a converged fine-tune can always fall back on what a linear head on the same encoder reads).
// It also fits the linear probe with half and twice the iterations on seed 0: equal accuracy says it had converged.
//
//   dotnet run -c Release --project scripts/protocol-check -- [smoke|quick|full] [seeds, e.g. 0,1,2]
//
// Scores go to a run store (default: a fresh temporary folder, so nothing stale is read; $NBSSL_RUNS to reuse one).
using System.Diagnostics;
using NotebookSsl.Analysis;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using ProbeScores = NotebookSsl.Probes.ProbeScores;
using static TorchSharp.torch;

var size = RunSizes.Parse(args.Length > 0 ? args[0] : "quick");
int[] seeds = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [0, 1, 2];
set_num_threads(1);
var size_ = StudySize.For(size);
// knobs for trying another protocol: FT_EPOCHS, FT_IMAGES, LINEAR_ITERATIONS in the environment
int? Knob(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v) : null;
var protocol = size_.Protocol;
if (Knob("FT_EPOCHS") is { } ftEpochs) protocol = protocol with { FineTune = protocol.FineTune with { Epochs = ftEpochs, WarmupEpochs = Math.Min(protocol.FineTune.WarmupEpochs, ftEpochs) } };
if (Knob("FT_IMAGES") is { } ftImages) protocol = protocol with { FineTuneImages = ftImages };
if (Knob("LINEAR_ITERATIONS") is { } linIterations) protocol = protocol with { LinearIterations = linIterations };
var storeRoot = Environment.GetEnvironmentVariable(RunStore.EnvironmentVariable) is { Length: > 0 } r ? r
    : Path.Combine(Path.GetTempPath(), $"nbssl-protocol-check-{Environment.ProcessId}");
var evaluation = Evaluation.Open(protocol, new RunStore(storeRoot));
var encoder = size_.Encoder;
Console.WriteLine($"size {size}: probes train on {evaluation.Train.Count} images, fine-tune on {evaluation.FineTuneSet.Count} labels, score on {evaluation.Test.Count} held-out images");
Console.WriteLine($"feature {protocol.Feature}; linear to convergence ({protocol.LinearIterations} full-batch iterations); k-NN k = {protocol.KnnK}; "
    + $"fine-tune {protocol.FineTune.Epochs} epochs (batch {protocol.FineTune.BatchSize}, lr {protocol.FineTune.PeakLr:g3}, layer decay {protocol.LayerDecay}, mixup {(protocol.FineTuneMixup is null ? "off" : "on")})");
Console.WriteLine($"encoder: ViT {encoder.Depth} blocks x {encoder.Width}, patch {encoder.PatchSize}; one torch thread; store {storeRoot}");
Console.WriteLine();
Console.WriteLine("| seed | linear | k-NN | fine-tune | fine-tune - linear | s |");
Console.WriteLine("|---|---|---|---|---|---|");
var scores = new List<ProbeScores>();
foreach (var seed in seeds)
{
    var clock = Stopwatch.StartNew();
    var s = evaluation.RandomInit(encoder, seed);
    scores.Add(s);
    Console.WriteLine($"| {seed} | {100 * s.Linear:F1} | {100 * s.Knn:F1} | {100 * s.FineTune:F1} | {100 * (s.FineTune - s.Linear):+0.0;-0.0} | {clock.Elapsed.TotalSeconds:F0} |");
}
string M(Func<ProbeScores, double> pick) => MeanStd.Of(scores.Select(s => 100 * pick(s))).Format("F1");
Console.WriteLine($"| mean ± std | {M(s => s.Linear)} | {M(s => s.Knn)} | {M(s => s.FineTune)} | {M(s => s.FineTune - s.Linear)} | |");
var raw = evaluation.RawPixels(seeds[0], Probe.Frozen);
Console.WriteLine($"| raw pixels (seed {seeds[0]}) | {100 * raw.Linear:F1} | {100 * raw.Knn:F1} | – | | |");
Console.WriteLine();

// convergence of the linear probe: twice the epochs on seed 0's random encoder
using (var random = RandomInit.Encoder(encoder, seeds[0]))
{
    using var train = Features.Extract(random, evaluation.Train.Images, protocol.Feature);
    using var test = Features.Extract(random, evaluation.Test.Images, protocol.Feature);
    foreach (var iterations in new[] { protocol.LinearIterations / 2, protocol.LinearIterations, protocol.LinearIterations * 2 })
    {
        var result = LinearProbe.Converged(train, evaluation.Train.Labels, test, evaluation.Test.Labels, evaluation.Train.NumClasses,
            iterations, protocol.LinearWeightDecay);
        Console.WriteLine($"linear probe, seed {seeds[0]}, {iterations} full-batch iterations: {100 * result.Accuracy:F1} % (final loss {result.Steps[^1].Loss:F4})");
    }
    // the AdamW probe with an epoch budget, for comparison (MAE's main_linprobe.py trains one so, for 90 epochs)
    foreach (var epochs in new[] { 100, 400 })
    {
        var result = LinearProbe.OnFeatures(train, evaluation.Train.Labels, test, evaluation.Test.Labels, evaluation.Train.NumClasses,
            LinearProbe.DefaultConfig with { Epochs = epochs, Seed = seeds[0], BatchSize = Math.Min(LinearProbe.DefaultConfig.BatchSize, evaluation.Train.Count / 2) });
        Console.WriteLine($"AdamW linear probe, seed {seeds[0]}, {epochs} epochs: {100 * result.Accuracy:F1} % (last epoch's loss {result.Steps.Where(st => st.Epoch == epochs - 1).Average(st => st.Loss):F4})");
    }
}
bool converged = scores.All(s => s.FineTune >= s.Linear);
Console.WriteLine(converged ? "converged: random init's fine-tune reaches its linear probe at every seed"
    : "NOT converged: random init's fine-tune is below its linear probe at some seed");
return converged ? 0 : 1;
