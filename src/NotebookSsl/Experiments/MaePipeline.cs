using System.Diagnostics;
using NotebookSsl.Data;
using NotebookSsl.Mae;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Experiments;

/// <summary>Held-out accuracy of one probe, from the pretrained encoder and from a random one.</summary>
public sealed record ProbeComparison(string Probe, double Pretrained, double Random);

/// <summary>What <see cref="MaePipeline.Run"/> measured, with what it needs to be repeated.</summary>
public sealed record MaeRunResult(
    MaeRecipe Recipe, IReadOnlyList<StepRecord> Pretraining, double PretrainSeconds,
    IReadOnlyList<ProbeComparison> Probes, long Parameters, RunEnvironment Environment);

/// <summary>
/// The project's main job: pretrain an MAE on Fashion-MNIST, then score it with fine-tuning, a linear
/// probe and k-NN on the held-out test split, each against the same probe from a random initialisation.
/// </summary>
public static class MaePipeline
{
    /// <summary>The first N train and test images of Fashion-MNIST (see <see cref="FashionMnist.Load"/> for where they are found).</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadData(MaeRecipe recipe, string? root = null)
    {
        using var train = FashionMnist.Load(DatasetSplit.Train, root);
        using var test = FashionMnist.Load(DatasetSplit.Test, root);
        return (train.Take(Math.Min(recipe.TrainImages, train.Count)), test.Take(Math.Min(recipe.TestImages, test.Count)));
    }

    /// <param name="log">Progress lines (pretraining steps, probe results), e.g. Console.WriteLine.</param>
    /// <param name="onStep">Every pretraining step, e.g. to redraw a loss curve.</param>
    /// <param name="weightsPath">Where to save the pretrained weights (safetensors, official names), if anywhere.</param>
    public static MaeRunResult Run(MaeRecipe recipe, ImageDataset train, ImageDataset test,
        Action<string>? log = null, Action<StepRecord>? onStep = null, string? weightsPath = null)
    {
        var environment = RunEnvironment.Capture();
        log?.Invoke($"{environment.Torch}; {train.Count} train / {test.Count} held-out images");

        // pretrain
        Seeds.Set(recipe.Pretrain.Seed);
        using var mae = new MaskedAutoencoder(recipe.Mae);
        var clock = Stopwatch.StartNew();
        int every = Math.Max(1, (train.Count / recipe.Pretrain.BatchSize) / 2);
        var steps = MaePretraining.Run(mae, train.Images, recipe.Pretrain).Collect(step =>
        {
            onStep?.Invoke(step);
            if (step.Step % every == 0) log?.Invoke($"pretrain epoch {step.Epoch} step {step.Step}: loss {step.Loss:F4}, lr {step.Lr:g3}, {step.ImagesPerSecond:F0} img/s");
        });
        double seconds = clock.Elapsed.TotalSeconds;
        log?.Invoke($"pretrained {mae.ParameterCount:N0} parameters in {seconds:F0} s; final loss {steps[^1].Loss:F4}");
        if (weightsPath is not null) IO.Weights.Save(mae, weightsPath, new Dictionary<string, string> { ["config"] = recipe.ToString() });

        // probe the pretrained encoder and a random one of the same shape, with the same seeds
        Seeds.Set(recipe.Pretrain.Seed);
        using var random = new Models.VisionTransformer(recipe.Mae.Encoder);
        var probes = new List<ProbeComparison>();
        int classes = train.NumClasses;
        using var labelled = train.Take(Math.Min(recipe.FineTuneImages, train.Count));
        void Compare(string name, Func<Models.VisionTransformer, double> accuracy)
        {
            var comparison = new ProbeComparison(name, accuracy(mae.Encoder), accuracy(random));
            probes.Add(comparison);
            log?.Invoke($"{name}: MAE {comparison.Pretrained:P1}, random init {comparison.Random:P1}");
        }
        Compare($"fine-tune ({labelled.Count} labels)", e =>
            FineTuning.Run(e, labelled.Images, labelled.Labels, test.Images, test.Labels, classes, recipe.FineTune).Accuracy);

        // the frozen-feature probes share one feature extraction per encoder
        var features = new[] { mae.Encoder, random }.ToDictionary(e => e, e =>
            (Train: Features.Extract(e, train.Images), Test: Features.Extract(e, test.Images)));
        Compare("linear", e => LinearProbe.OnFeatures(features[e].Train, train.Labels, features[e].Test, test.Labels, classes, recipe.Linear).Accuracy);
        Compare("k-NN", e => Knn.OnFeatures(features[e].Train, train.Labels, features[e].Test, test.Labels, classes).Accuracy);
        foreach (var (trainFeatures, testFeatures) in features.Values) { trainFeatures.Dispose(); testFeatures.Dispose(); }
        return new MaeRunResult(recipe, steps, seconds, probes, mae.ParameterCount, environment);
    }
}
