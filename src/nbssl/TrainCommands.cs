using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Studies.Pretrain;

namespace NotebookSsl.Cli;

/// <summary>`nbssl pretrain` (the main job) and `nbssl bench` (throughput and memory).</summary>
static class TrainCommands
{
    public const string Usage = """
  nbssl pretrain [--size smoke|quick|full] [--seed N] [--out DIR]
      Pretrains an MAE on Fashion-MNIST, then fine-tunes, linear-probes and k-NN-scores it on the held-out
      test split against a random initialisation. Writes DIR/metrics.json and DIR/mae.safetensors.
  nbssl bench [--config smoke|quick|full|reference] [--steps N]
      Prints MAE pretraining images/s and peak resident memory for a named configuration.
""";

    public static int Pretrain(string[] args)
    {
        var options = Options(args, "--size", "--seed", "--out");
        var size = RunSizes.Parse(options.GetValueOrDefault("--size", "quick"));
        int seed = int.Parse(options.GetValueOrDefault("--seed", "0"));
        var outDir = options.GetValueOrDefault("--out", Path.Combine("out", "pretrain"));
        Directory.CreateDirectory(outDir);

        var recipe = MaePipeline.RecipeFor(size, seed);
        var (train, test) = MaePipeline.LoadData(recipe);
        using (train)
        using (test)
        {
            var result = MaePipeline.Run(recipe, train, test, Console.WriteLine, weightsPath: Path.Combine(outDir, "mae.safetensors"));
            AtomicFile.WriteJson(Path.Combine(outDir, "metrics.json"), result);

            Console.WriteLine();
            Console.WriteLine($"{"probe",-26} {"MAE",8} {"random",8}");
            foreach (var p in result.Probes) Console.WriteLine($"{p.Probe,-26} {p.Pretrained,8:P1} {p.Random,8:P1}");
            Console.WriteLine($"size {size}, seed {seed}, {result.Parameters:N0} parameters, pretraining {result.PretrainSeconds:F0} s; written to {outDir}");
        }
        return 0;
    }

    public static int Bench(string[] args)
    {
        var options = Options(args, "--config", "--steps");
        var name = options.GetValueOrDefault("--config", "reference");
        int steps = int.Parse(options.GetValueOrDefault("--steps", "10"));
        var r = Benchmark.Run(name, timedSteps: steps);
        Console.WriteLine($"config {r.Name}: {r.Parameters:N0} parameters, batch {r.BatchSize}");
        Console.WriteLine($"  pretraining  {r.ImagesPerSecond:F0} images/s (median of {steps} steps)");
        Console.WriteLine($"  peak memory  {r.PeakResidentMiB:F0} MiB resident; growth over the timed steps {r.ResidentGrowthMiB:+0;-0} MiB");
        Console.WriteLine($"  {RunEnvironment.Capture().Torch}, {Environment.ProcessorCount} cores");
        return 0;
    }

    static Dictionary<string, string> Options(string[] args, params string[] known)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            var (key, value) = args[i].Contains('=') ? (args[i][..args[i].IndexOf('=')], args[i][(args[i].IndexOf('=') + 1)..])
                : (args[i], i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value"));
            if (!known.Contains(key)) throw new ArgumentException($"unknown option '{key}' (known: {string.Join(", ", known)})");
            options[key] = value;
        }
        return options;
    }
}
