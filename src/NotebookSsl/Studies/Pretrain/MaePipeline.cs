using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Studies.Pretrain;

/// <summary>What <see cref="MaePipeline.Run"/> measured, with what it needs to be repeated.</summary>
/// <param name="Mae">The pretrained encoder under the recipe's protocol.</param>
/// <param name="RandomInit">The same encoder from a random initialisation (the pretraining's seed), same protocol.</param>
/// <param name="RawPixels">The linear probe and k-NN on the standardised pixels: what "learned something" must beat.</param>
public sealed record MaeRunResult(
    MaeRecipe Recipe, IReadOnlyList<StepRecord> Pretraining, double PretrainSeconds,
    ProbeScores Mae, ProbeScores RandomInit, ProbeScores RawPixels, long Parameters, RunEnvironment Environment);

/// <summary>
/// The project's main job (<c>nbssl pretrain</c>, notebook 00): pretrain an MAE on Fashion-MNIST, then
/// score it with fine-tuning, a linear probe and k-NN on the held-out test split, each against the same
/// probe from a random initialisation.
/// </summary>
public static class MaePipeline
{
    /// <summary>The main job's recipe at a size, with every seed set to <paramref name="seed"/>.</summary>
    /// <param name="grid">Tokens per side: 7 (4-px patches, the default) or 14 (2-px patches, <see cref="Grid14"/>).</param>
    public static MaeRecipe RecipeFor(RunSize size, int seed = 0, int grid = 7) => grid switch
    {
        7 => Grid7(size).WithSeed(seed),
        14 => Grid14(size).WithSeed(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(grid), grid, "The main job has recipes for a 7×7 token grid (4-px patches) and a 14×14 one (2-px patches)."),
    };

    /// <summary>
    /// The 14×14 recipes (2×2-pixel patches). At 14×14 random masking leaves a visible 2-px patch next to almost every
    /// masked one, so MAE's task is interpolation and its encoder learns little: in scripts/recipe-search the 7×7 recipe's
    /// shape at 14×14 did not beat random init on fine-tuning or the linear probe over 3 seeds. What did (quick, 3 seeds,
    /// against random init of the same ViT): masking 2×2-token squares (<see cref="MaeConfig.MaskUnit"/>, removed regions
    /// of 4×4 px as at 7×7), raw-pixel targets (norm_pix_loss standardises a 4-pixel patch by its own std, which mostly
    /// amplifies noise), Table 1's one-layer conv decoder, and 16 epochs: fine-tune 73.3 ± 1.9 vs 68.4 ± 1.6 %, linear
    /// 69.6 ± 1.3 vs 63.6 ± 2.1 %, k-NN 69.9 ± 1.2 vs 61.2 ± 2.4 %, every difference beyond two pooled std.
    /// </summary>
    static MaeRecipe Grid14(RunSize size)
    {
        var grid7 = Grid7(size);
        var encoder = grid7.Mae.Encoder with { PatchSize = 2 };
        var mae = grid7.Mae with { Encoder = encoder, Decoder = DecoderKind.Conv, NormPixLoss = false, MaskUnit = 2 };
        return size switch
        {
            // about 2 minutes of pretraining (1,024 steps of 64 images, 4× the tokens of 7×7; 110–129 CPU s in the search,
            // 126 s with two threads), the recipe search's data budget
            RunSize.Quick => new MaeRecipe
            {
                Mae = mae with { Encoder = encoder with { Width = 64, Depth = 4, Heads = 4 }, DecoderWidth = 32 },
                Pretrain = new TrainConfig { Epochs = 16, BatchSize = 64, Lr = 2e-3, WarmupEpochs = 1 },
                Protocol = EvalProtocol.For(RunSize.Quick),   // the notebooks' quick protocol and data: 4,096 images
            },
            // smoke and full: the 7×7 recipe with the same four changes (full not run here: hours on a GPU)
            _ => grid7 with { Mae = mae },
        };
    }

    static MaeRecipe Grid7(RunSize size) => size switch
    {
        // seconds: proves every step runs
        RunSize.Smoke => new MaeRecipe
        {
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 64, Depth = 2, Heads = 4 }, DecoderWidth = 32, DecoderDepth = 1, DecoderHeads = 2 },
            Pretrain = new TrainConfig { Epochs = 2, BatchSize = 64, Lr = 1e-3, WarmupEpochs = 0.5 },
            Protocol = EvalProtocol.For(RunSize.Smoke) with { TrainImages = 512, FineTuneImages = 256 },
        },
        // a 1.3M-parameter ViT (6 blocks, 128 wide) pretrained for 15 epochs on 10,000 images, then scored by the
        // notebooks' quick protocol on the same 10,000 images (fine-tuning on all of them, 12 epochs; the held-out
        // scores on all 10,000 test images)
        RunSize.Quick => new MaeRecipe
        {
            Pretrain = new TrainConfig { Epochs = 15, BatchSize = 128, Lr = 1e-3, WarmupEpochs = 1 },
            Protocol = EvalProtocol.For(RunSize.Quick) with { TrainImages = 10_000, FineTuneImages = 10_000 },
        },
        // hours on one GPU
        RunSize.Full => new MaeRecipe
        {
            Mae = new MaeConfig { Encoder = new VitConfig { Width = 192, Depth = 12, Heads = 3 }, DecoderWidth = 128, DecoderDepth = 4, DecoderHeads = 4 },
            Pretrain = new TrainConfig { Epochs = 100, BatchSize = 256, BaseLr = 1.5e-4, WarmupEpochs = 5 }, // the official recipe, shortened
            Protocol = EvalProtocol.For(RunSize.Full),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };

    /// <summary>The first N train and test images of Fashion-MNIST (see <see cref="FashionMnist.Load"/> for where they are found).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(MaeRecipe recipe, string? root = null)
        => FashionMnist.LoadSubsets(recipe.TrainImages, recipe.TestImages, root);

    /// <summary>Pretrains, then probes; eager: returns when everything has run.</summary>
    /// <param name="log">Progress lines (pretraining steps, probe results), e.g. Console.WriteLine.</param>
    /// <param name="onStep">Every pretraining step, e.g. to redraw a loss curve.</param>
    /// <param name="weightsPath">Where to save the pretrained weights (safetensors, official names), if anywhere.</param>
    /// <param name="checkpointFolder">
    /// Where pretraining saves a checkpoint every <paramref name="checkpointEvery"/> steps; a later call with the
    /// same recipe resumes from it. The finished pretraining is kept there too, so a call killed during the probes
    /// reuses it (verified) instead of pretraining again: the caller removes the folder once it has written the
    /// results (<see cref="Checkpointing.Clear"/>). Null: no checkpoints.
    /// </param>
    public static MaeRunResult Run(MaeRecipe recipe, ImageDataset train, ImageDataset test,
        Action<string>? log = null, Action<StepRecord>? onStep = null, string? weightsPath = null,
        string? checkpointFolder = null, int checkpointEvery = 100)
    {
        var checkpoint = checkpointFolder is null ? null
            : new Checkpointing(checkpointFolder, checkpointEvery, System.Text.Json.JsonSerializer.Serialize(new { recipe, train.Count }, RunJson.Options)) { Log = log };
        var environment = RunEnvironment.Capture();
        log?.Invoke($"{environment.Torch}; {train.Count} train / {test.Count} held-out images");

        // pretrain
        using var mae = Seeds.Build(recipe.Pretrain.Seed, () => new MaskedAutoencoder(recipe.Mae));
        var clock = Stopwatch.StartNew();
        int every = Math.Max(1, (train.Count / recipe.Pretrain.BatchSize) / 2);
        List<StepRecord> steps;
        double seconds;
        if (checkpoint?.TryLoadFinished(mae) is { } finished)
        {
            (steps, seconds) = finished;
            foreach (var step in steps) onStep?.Invoke(step);
            log?.Invoke($"reusing the finished pretraining in {checkpoint.Folder} (checksums verified)");
        }
        else
        {
            if (checkpoint?.SavedStep() is { } saved) log?.Invoke($"resuming pretraining from the checkpoint after step {saved} in {checkpoint.Folder}");
            steps = MaePretraining.Steps(mae, train.Images, recipe.Pretrain, checkpoint: checkpoint).Collect(step =>
            {
                onStep?.Invoke(step);
                if (step.Step % every == 0) log?.Invoke($"pretrain epoch {step.Epoch} step {step.Step}: loss {step.Loss:F4}, lr {step.Lr:g3}, {step.ImagesPerSecond:F0} img/s");
            });
            seconds = clock.Elapsed.TotalSeconds;
            checkpoint?.SaveFinished(mae, steps, seconds);   // kept until the caller has the whole job
        }
        log?.Invoke($"pretrained {mae.ParameterCount:N0} parameters in {seconds:F0} s; final loss {steps[^1].Loss:F4}");
        if (weightsPath is not null) IO.Weights.Save(mae, weightsPath, new Dictionary<string, string> { ["config"] = recipe.ToString() });

        // the pretrained encoder, a random one of the same shape and the raw pixels under the one protocol, the same seed;
        // nothing is stored: the job's output folder keeps the scores
        var evaluation = new Evaluation(recipe.Protocol, train, test, store: null, log);
        int seed = recipe.Pretrain.Seed;
        var scores = evaluation.Score(mae.Encoder, "mae", seed);
        var random = evaluation.RandomInit(recipe.Mae.Encoder, seed);
        var raw = evaluation.RawPixels(seed, Probe.Frozen, recipe.Mae.Encoder.PatchSize);
        foreach (var probe in new[] { Probe.FineTune, Probe.Linear, Probe.Knn })
            log?.Invoke($"{probe}: MAE {scores[probe]:P1}, random init {random[probe]:P1}");
        log?.Invoke($"raw pixels: linear {raw.Linear:P1}, k-NN {raw.Knn:P1}");
        return new MaeRunResult(recipe, steps, seconds, scores, random, raw, mae.ParameterCount, environment);
    }
}
