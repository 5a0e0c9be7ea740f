using System.Diagnostics;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.Pretrain;

/// <summary>Pretraining throughput and memory of one MAE configuration.</summary>
/// <param name="Name">The named configuration.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="ImagesPerSecond">Median over the timed steps.</param>
/// <param name="PeakResidentMiB">The process's peak resident memory (VmHWM), in MiB.</param>
/// <param name="ResidentGrowthMiB">Resident memory after the last timed step minus after warm-up: flat is ≈ 0.</param>
/// <param name="BestImagesPerSecond">The fastest timed step: on a machine others load, the step they disturbed least.</param>
public sealed record BenchmarkResult(string Name, long Parameters, int BatchSize, double ImagesPerSecond, double PeakResidentMiB, double ResidentGrowthMiB,
    double BestImagesPerSecond);

/// <summary>
/// Times MAE pretraining steps on random images (the same work as on real ones). Run each benchmark
/// in a fresh process: the peak memory figure is the process's.
/// </summary>
public static class Benchmark
{
    /// <summary>
    /// The configurations a benchmark can name: the notebooks' quick step (the size's MAE: 28×28 grey, patch 4, encoder
    /// 4 × 64, decoder 3 × 64, batch 64, which the notebooks train on one thread), the main job's sizes, and the reference
    /// step of DEVELOPERS.md.
    /// </summary>
    public static IReadOnlyDictionary<string, (MaeConfig Mae, int BatchSize)> Configs { get; } = new Dictionary<string, (MaeConfig, int)>
    {
        ["notebook"] = (StudySize.Quick.Mae, StudySize.Quick.Pretrain.BatchSize),
        ["smoke"] = (MaePipeline.RecipeFor(RunSize.Smoke).Mae, MaePipeline.RecipeFor(RunSize.Smoke).Pretrain.BatchSize),
        ["quick"] = (MaePipeline.RecipeFor(RunSize.Quick).Mae, MaePipeline.RecipeFor(RunSize.Quick).Pretrain.BatchSize),
        ["full"] = (MaePipeline.RecipeFor(RunSize.Full).Mae, MaePipeline.RecipeFor(RunSize.Full).Pretrain.BatchSize),
        // ≈ 3.1M parameters, 32×32 RGB, patch 4, batch 128: measured at ≈ 250 images/s on a 2-core CPU
        ["reference"] = (new MaeConfig
        {
            Encoder = new VitConfig { ImageSize = 32, PatchSize = 4, Channels = 3, Width = 192, Depth = 6, Heads = 3 },
            DecoderWidth = 128, DecoderDepth = 2, DecoderHeads = 4,
        }, 128),
    };

    public static BenchmarkResult Run(string name, int warmupSteps = 3, int timedSteps = 10)
    {
        if (!Configs.TryGetValue(name, out var entry))
            throw new ArgumentException($"Unknown benchmark configuration '{name}': choose one of {string.Join(", ", Configs.Keys)}.");
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "A benchmark needs at least 1 warm-up step (its memory is the baseline).");
        if (timedSteps < 1) throw new ArgumentOutOfRangeException(nameof(timedSteps), timedSteps, "A benchmark needs at least 1 timed step (--steps).");
        var (config, batch) = entry;
        var enc = config.Encoder;
        using var mae = Seeds.Build(0, () => new MaskedAutoencoder(config));
        using var images = rand(batch * 4, enc.Channels, enc.ImageSize, enc.ImageSize);
        var train = new TrainConfig { Epochs = 1_000_000, BatchSize = batch, Lr = 1e-4, WarmupEpochs = 0 };

        var rates = new List<double>();
        double residentAfterWarmup = 0;
        var clock = Stopwatch.StartNew();
        foreach (var step in MaePretraining.Steps(mae, images, train).Take(warmupSteps + timedSteps))
        {
            if (step.Step == warmupSteps - 1) residentAfterWarmup = ResidentMiB();
            if (step.Step >= warmupSteps) rates.Add(step.ImagesPerSecond);
        }
        rates.Sort();
        return new BenchmarkResult(name, mae.ParameterCount, batch, rates[rates.Count / 2], PeakResidentMiB(), ResidentMiB() - residentAfterWarmup,
            rates[^1]);
    }

    /// <summary>Current resident memory (VmRSS), MiB; 0 where /proc is not there.</summary>
    public static double ResidentMiB() => ProcStatus("VmRSS:");

    /// <summary>Peak resident memory (VmHWM), MiB; falls back to the .NET peak working set.</summary>
    public static double PeakResidentMiB()
    {
        var hwm = ProcStatus("VmHWM:");
        return hwm > 0 ? hwm : Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }

    static double ProcStatus(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return 0;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key));
        return line is null ? 0 : double.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
    }
}
