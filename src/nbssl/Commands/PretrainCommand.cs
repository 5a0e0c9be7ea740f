using System.CommandLine;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Pretrain;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl pretrain`: the main job (pretrain an MAE on Fashion-MNIST, then probe it against a random init).</summary>
static class PretrainCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "smoke (seconds), quick (minutes) or full (hours)", DefaultValueFactory = _ => "quick" };
        size.AcceptOnlyFromAmong("smoke", "quick", "full");
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var grid = new Option<string>("--grid") { Description = "tokens per side: 7 (4-px patches) or 14 (2-px patches, masked in 2×2-token squares)", DefaultValueFactory = _ => "7" };
        grid.AcceptOnlyFromAmong("7", "14");
        var output = new Option<string>("--out", "-o") { Description = "output folder", DefaultValueFactory = _ => Path.Combine("out", "pretrain") };
        var command = new Command("pretrain", "Pretrains an MAE on Fashion-MNIST, then fine-tunes, linear-probes and k-NN-scores it on the held-out test split against a random initialisation. Writes DIR/metrics.json and DIR/mae.safetensors.")
        {
            size, seed, grid, output,
        };
        command.SetAction(parsed => Run(RunSizes.Parse(parsed.GetValue(size)!), parsed.GetValue(seed), int.Parse(parsed.GetValue(grid)!), parsed.GetValue(output)!));
        return command;
    }

    static int Run(RunSize size, int seed, int grid, string outDir)
    {
        // before training, not after: a model that cannot be saved is work lost; and one job per folder, so that
        // two runs never mix their files (one's weights beside the other's metrics)
        IDisposable held;
        try { held = OutputFolder.Lock(outDir, "--out"); }
        catch (IOException e) { throw new UsageException(e.Message); }
        using var _ = held;
        var recipe = MaePipeline.RecipeFor(size, seed, grid);
        var (train, test) = MaePipeline.LoadData(recipe);
        using (train)
        using (test)
        {
            // a checkpoint every 100 steps in DIR/.checkpoint: the same command again resumes an interrupted pretraining
            // the finished pretraining stays there too until metrics.json is written: killed during the probes, it is reused
            var checkpointFolder = Path.Combine(outDir, ".checkpoint");
            var result = MaePipeline.Run(recipe, train, test, Console.WriteLine, weightsPath: Path.Combine(outDir, "mae.safetensors"),
                checkpointFolder: checkpointFolder);
            AtomicFile.WriteJson(Path.Combine(outDir, "metrics.json"), result);
            new Checkpointing(checkpointFolder).Clear();

            Console.WriteLine();
            Console.WriteLine($"{"probe",-34} {"MAE",8} {"random",8} {"pixels",8}");
            var fineTune = $"fine-tune ({recipe.Protocol.FineTuneImages} labels)";
            foreach (var (name, probe) in new[] { (fineTune, Probe.FineTune), ("linear (to convergence)", Probe.Linear), ("k-NN", Probe.Knn) })
                Console.WriteLine($"{name,-34} {result.Mae[probe],8:P1} {result.RandomInit[probe],8:P1} {(double.IsNaN(result.RawPixels[probe]) ? "–" : result.RawPixels[probe].ToString("P1")),8}");
            Console.WriteLine($"size {size}, seed {seed}, {grid}×{grid} tokens, {result.Parameters:N0} parameters, pretraining {result.PretrainSeconds:F0} s; written to {outDir}");
        }
        return 0;
    }
}
