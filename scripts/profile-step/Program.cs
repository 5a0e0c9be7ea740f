// Where does one MAE pretraining step of the reference config go? Times each part of the step, medians of
// a few repetitions, in one process (timings on a shared machine are noisy: read the ratios).
// Usage: dotnet run -c Release --project scripts/profile-step -- [reps=8] [config=reference]   (OMP_NUM_THREADS=1 for notebook)
using System.Diagnostics;
using NotebookSsl.Studies.Pretrain;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Training;
using static TorchSharp.torch;

int reps = args.Length > 0 ? int.Parse(args[0]) : 8;
NotebookSsl.Torch.TorchRuntime.EnsureLoaded();
var (config, batch) = Benchmark.Configs[args.Length > 1 ? args[1] : "reference"];
var enc = config.Encoder;
Seeds.Set(0);
using var mae = new MaskedAutoencoder(config);
using var images = rand(batch * 4, enc.Channels, enc.ImageSize, enc.ImageSize);
var train = new TrainConfig { Epochs = 1_000_000, BatchSize = batch, Lr = 1e-4, WarmupEpochs = 0 };
var named = mae.named_parameters().Select(np => (np.name, np.parameter)).ToList();
using var opt = Optim.AdamW(named, train);
var gen = new Generator(0);
Console.WriteLine($"{get_num_threads()} threads, {mae.ParameterCount:N0} parameters, batch {batch}");

double Median(Func<double> run)
{
    run(); run();  // warm-up
    var t = Enumerable.Range(0, reps).Select(_ => run()).OrderBy(x => x).ToArray();
    return t[t.Length / 2];
}
double Time(Action a) { var sw = Stopwatch.StartNew(); a(); return sw.Elapsed.TotalMilliseconds; }
using var order = randperm(images.shape[0], generator: gen);
var index = order[..batch];

void FullStep(bool collect)
{
    using (NewDisposeScope())
    {
        var b = images.index_select(0, index);
        opt.ZeroGrad();
        var loss = mae.Forward(b, generator: gen).Loss;
        loss.backward();
        opt.Step();
        loss.item<float>();
    }
    if (collect) GC.Collect(1);
}

mae.train();
var rows = new List<(string, double)>();
rows.Add(("step as Trainer runs it (with GC.Collect(1))", Median(() => Time(() => FullStep(true)))));
rows.Add(("step without GC.Collect", Median(() => Time(() => FullStep(false)))));
rows.Add(("  GC.Collect(1) alone", Median(() => Time(() => GC.Collect(1)))));
// what the Trainer did before: a full collection, costly where the heap is large (a notebook worker: ~100-170 ms)
rows.Add(("  GC.Collect() (full) alone, this process", Median(() => Time(() => GC.Collect()))));
rows.Add(("  index_select of the batch", Median(() => Time(() => { using (NewDisposeScope()) images.index_select(0, index); }))));
rows.Add(("  forward (loss)", Median(() => Time(() => { using (NewDisposeScope()) mae.Forward(images[..batch], generator: gen).Loss.item<float>(); }))));
rows.Add(("  forward + backward", Median(() => Time(() => { using (NewDisposeScope()) { opt.ZeroGrad(); mae.Forward(images[..batch], generator: gen).Loss.backward(); } }))));
// the optimizer step on the gradients left by the last backward
rows.Add(("  optimizer.step (AdamW)", Median(() => Time(() => { using (NewDisposeScope()) opt.Step(); }))));
rows.Add(("  zero_grad", Median(() => Time(() => opt.ZeroGrad()))));
// what FlatAdamW replaced: TorchSharp's AdamW, a loop over the parameter tensors, on the same gradients
using (var torchSharpAdamW = optim.AdamW(named.Select(np => np.Item2), 1e-4, 0.9, 0.95, weight_decay: 0.05))
    rows.Add(("  TorchSharp's AdamW.step, for comparison", Median(() => Time(() => { using (NewDisposeScope()) torchSharpAdamW.step(); }))));
using (no_grad())
{
    var x = randn(batch, 17, enc.Width);
    var block = mae.Encoder;
    rows.Add(("  encoder forward only (no grad)", Median(() => Time(() => { using (NewDisposeScope()) block.Encode(x).Latent.sum().item<float>(); }))));
}
double stepMs = rows[0].Item2;
foreach (var (name, ms) in rows) Console.WriteLine($"{name,-44} {ms,8:F1} ms  {100 * ms / stepMs,5:F0} %");
Console.WriteLine($"images/s at the Trainer step: {batch / stepMs * 1000:F1}; without GC.Collect: {batch / rows[1].Item2 * 1000:F1}");

// matmul peak in libtorch through TorchSharp (same threads)
using var a = randn(2048, 2048); using var bm = randn(2048, 2048);
double mm = Median(() => Time(() => { using (NewDisposeScope()) a.matmul(bm); }));
Console.WriteLine($"2048² fp32 matmul: {2.0 * 2048 * 2048 * 2048 / (mm / 1000) / 1e9:F1} GFLOP/s");

// tensors one step creates from .NET (TorchSharp's count: each op that returns a new tensor; in-place ops and the
// backward pass's own ops, which run inside libtorch, are not counted)
var stats = TorchSharp.DisposeScopeManager.Statistics;
long created = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
FullStep(true);
Console.WriteLine($"tensors created by one step (as the Trainer runs it, less the loop's own): {stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - created}");
