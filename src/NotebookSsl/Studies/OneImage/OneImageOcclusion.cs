using NotebookSsl.Data;
using NotebookSsl.Analysis;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Occlusion;
using NotebookSsl.Training;

namespace NotebookSsl.Studies.OneImage;

/// <summary>
/// Table 8's MoCo v3, R-MAE and C-MAE, through notebook 03's public entry points (<see cref="OcclusionStudy"/>):
/// an occlusion study whose train set is this study's few-image set of one seed, with this study's encoder and about
/// the same number of steps (whole epochs over the few images). Each method keeps its own augmentation (MoCo v3: its
/// two views; R-MAE: masking only; C-MAE: its views), as in notebook 03. Their runs live in a sub-folder of the run
/// store named after the few-image set, because notebook 03's run keys name only "the first N train images".
/// </summary>
public static class OneImageOcclusion
{
    /// <summary>The methods, each a function of the seed that pretrains (or loads) it and hands over its encoder.</summary>
    public static IReadOnlyList<(string Method, Func<int, PretrainedEncoder> Pretrain)> Methods(OneImageStudy study, RunSize size, Action<string>? log = null)
    {
        var source = study.Table8Source;
        var folder = $"fewimage-{source.Count}-{source.Sampling}-pool{study.Recipe.PoolImages}".ToLowerInvariant();
        var store = new RunStore(Path.Combine(study.Store.Root, folder));
        var recipe = RecipeFor(study, size);

        PretrainedEncoder Run(string name, Func<OcclusionStudy, Method> method, int seed)
        {
            var subset = FewImages.Sample(study.Pool, source.Count, source.Sampling, seed);
            var occlusion = new OcclusionStudy(size, recipe with { Seeds = [seed] }, store, subset, study.Test, log);
            var pretrained = occlusion.Pretrain(method(occlusion), seed);
            subset.Dispose();
            return new PretrainedEncoder(name, $"{folder}/{Path.GetFileName(pretrained.Folder)}", pretrained.Encoder, pretrained);
        }

        return
        [
            ("MoCo v3", seed => Run("MoCo v3", o => o.MocoV3(), seed)),
            ("R-MAE", seed => Run("R-MAE", o => o.RMae(), seed)),
            ("C-MAE", seed => Run("C-MAE", o => o.CMae(), seed)),
        ];
    }

    /// <summary>Notebook 03's recipe at <paramref name="size"/> with this study's encoder, batch, learning rate and step budget.</summary>
    public static OcclusionRecipe RecipeFor(OneImageStudy study, RunSize size)
    {
        var r = study.Recipe;
        var stepsPerEpoch = Math.Max(1, r.SubsetImages / r.Pretrain.BatchSize);
        var epochs = Math.Max(1, (int)Math.Round((double)r.Budget.Steps / stepsPerEpoch));
        var pretrain = r.Pretrain with
        {
            Epochs = epochs, WarmupEpochs = epochs * (double)r.Budget.WarmupSteps / r.Budget.Steps,
            BatchSize = Math.Min(r.Pretrain.BatchSize, r.SubsetImages),   // a batch cannot be larger than the set (smoke: 10 images)
        };
        var baseRecipe = OcclusionRecipe.For(size);
        return baseRecipe with
        {
            TrainImages = r.SubsetImages, TestImages = study.Test.Count,
            Mae = r.Mae,
            Pretrain = pretrain,
            // as notebook 03: AdamW (0.9, 0.999) at half the MAE rate for the contrastive losses
            Contrastive = pretrain with { Lr = pretrain.PeakLr / 2, Beta2 = 0.999 },
            // a few hundred steps: momentum 0.99 lets the target move (notebook 03's choice for short runs)
            CMae = baseRecipe.CMae with { Encoder = r.Mae.Encoder, HiddenDim = 4 * r.Mae.Encoder.Width, Dim = r.Mae.Encoder.Width, Momentum = 0.99, MaskRatio = r.Mae.MaskRatio },
            MocoV3 = baseRecipe.MocoV3 with { Encoder = r.Mae.Encoder, Dim = r.Mae.Encoder.Width, MlpDim = 4 * r.Mae.Encoder.Width },
        };
    }
}
