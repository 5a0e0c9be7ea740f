using System.CommandLine;
using NotebookSsl.Studies.Pretrain;

namespace NotebookSsl.Cli.Commands;

/// <summary>
/// `nbssl bench`: MAE pretraining throughput and peak memory for a named configuration, or (the default, `both`) the
/// notebooks' quick step at one thread and then the reference step at the process's threads, as users run them.
/// </summary>
static class BenchCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "both (the default: the notebooks' quick MAE step at one thread, as the notebooks train, then the reference step at OMP_NUM_THREADS), notebook (run it with OMP_NUM_THREADS=1), smoke, quick, full (the main job's) or reference", DefaultValueFactory = _ => Both };
        config.AcceptOnlyFromAmong(Both, "notebook", "smoke", "quick", "full", "reference");
        var steps = new Option<int>("--steps") { Description = "timed steps (at least 1)", DefaultValueFactory = _ => 10 };
        steps.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"--steps must be at least 1, got {r.GetValueOrDefault<int>()}"); });
        var command = new Command("bench", "Prints MAE pretraining images/s and peak resident memory for a named configuration.") { config, steps };
        command.SetAction(parsed => Run(parsed.GetValue(config)!, parsed.GetValue(steps)));
        return command;
    }

    const string Both = "both";

    static int Run(string name, int steps)
    {
        if (name != Both) return Print(name, steps);
        int threads = (int)TorchSharp.torch.get_num_threads();
        // the small step first: the process's peak memory then belongs to the larger reference step that follows
        TorchSharp.torch.set_num_threads(1);
        Print("notebook", steps);
        TorchSharp.torch.set_num_threads(threads);
        return Print("reference", steps);
    }

    static int Print(string name, int steps)
    {
        var r = Benchmark.Run(name, timedSteps: steps);
        Console.WriteLine($"config {r.Name}: {r.Parameters:N0} parameters, batch {r.BatchSize}");
        Console.WriteLine($"  pretraining  {r.ImagesPerSecond:F0} images/s (median of {steps} steps; best {r.BestImagesPerSecond:F0})");
        Console.WriteLine($"  peak memory  {r.PeakResidentMiB:F0} MiB resident; growth over the timed steps {r.ResidentGrowthMiB:+0;-0} MiB");
        // the threads now, not the loader's description from when libtorch loaded (both runs share one process)
        Console.WriteLine($"  TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, {(TorchSharp.torch.cuda.is_available() ? "cuda" : "cpu")}, "
                        + $"{TorchSharp.torch.get_num_threads()} threads, {Environment.ProcessorCount} cores");
        return 0;
    }
}
