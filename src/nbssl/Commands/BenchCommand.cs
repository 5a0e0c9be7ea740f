using System.CommandLine;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Pretrain;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl bench`: MAE pretraining throughput and peak memory for a named configuration.</summary>
static class BenchCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "notebook (the notebooks' quick MAE step; run it with OMP_NUM_THREADS=1, as the notebooks train), smoke, quick, full (the main job's) or reference", DefaultValueFactory = _ => "reference" };
        config.AcceptOnlyFromAmong("notebook", "smoke", "quick", "full", "reference");
        var steps = new Option<int>("--steps") { Description = "timed steps (at least 1)", DefaultValueFactory = _ => 10 };
        steps.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"--steps must be at least 1, got {r.GetValueOrDefault<int>()}"); });
        var command = new Command("bench", "Prints MAE pretraining images/s and peak resident memory for a named configuration.") { config, steps };
        command.SetAction(parsed => Run(parsed.GetValue(config)!, parsed.GetValue(steps)));
        return command;
    }

    static int Run(string name, int steps)
    {
        var r = Benchmark.Run(name, timedSteps: steps);
        Console.WriteLine($"config {r.Name}: {r.Parameters:N0} parameters, batch {r.BatchSize}");
        Console.WriteLine($"  pretraining  {r.ImagesPerSecond:F0} images/s (median of {steps} steps)");
        Console.WriteLine($"  peak memory  {r.PeakResidentMiB:F0} MiB resident; growth over the timed steps {r.ResidentGrowthMiB:+0;-0} MiB");
        Console.WriteLine($"  {RunEnvironment.Capture().Torch}, {Environment.ProcessorCount} cores");
        return 0;
    }
}
