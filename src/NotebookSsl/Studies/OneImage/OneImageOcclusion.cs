using NotebookSsl.Data;
using NotebookSsl.Methods.RMae;
using NotebookSsl.Probes;
using NotebookSsl.Runs;

namespace NotebookSsl.Studies.OneImage;

/// <summary>
/// Table 8's MoCo v3, R-MAE and C-MAE, notebook 03's methods (<see cref="References"/>, <see cref="PretrainMethod"/>)
/// pretrained through a <see cref="Study"/> whose train set is this study's few-image set of one seed, with this
/// study's encoder and about the same number of steps (whole epochs over the few images). Each method keeps its own
/// augmentation (MoCo v3: its two views; R-MAE: masking only; C-MAE: its views), as in notebook 03. Their runs live in
/// a sub-folder of the run store named after the few-image set, because a study's run keys name only "the first N
/// train images".
/// </summary>
public static class OneImageOcclusion
{
    /// <summary>The methods, each a function of the seed that pretrains (or loads) it and hands over its encoder.</summary>
    public static IReadOnlyList<(string Method, Func<int, PretrainedEncoder> Pretrain)> Methods(OneImageStudy study, RunSize size, Action<string>? log = null)
    {
        var source = study.Table8Source;
        var folder = $"fewimage-{source.Count}-{source.Sampling}-pool{study.Recipe.PoolImages}".ToLowerInvariant();
        var store = new RunStore(Path.Combine(study.Store.Root, folder));
        var s = SizeFor(study, size);

        PretrainedEncoder Run(string name, PretrainMethod method, int seed)
        {
            using var subset = FewImages.Sample(study.Pool, source.Count, source.Sampling, seed);
            // a protocol on the few images, only so that the study accepts them: Table 8 scores with OneImageStudy's own probes
            var protocol = s.Protocol with
            {
                TrainImages = subset.Count, FineTuneImages = subset.Count, TestImages = study.Test.Count, KnnK = Math.Min(s.Protocol.KnnK, subset.Count),
            };
            var few = new Study(s with { Protocol = protocol }, new Evaluation(protocol, subset, study.Test, store, log), log);
            var pretrained = few.Pretrain(method, seed);
            return new PretrainedEncoder(name, $"{folder}/{pretrained.Run}", pretrained.Encoder, pretrained);
        }

        // a few hundred steps: C-MAE's momentum 0.99 lets the target move (notebook 03's choice for short runs)
        var cmae = References.CMaeConfigOf(s) with { Momentum = 0.99 };
        return
        [
            ("MoCo v3", seed => Run("MoCo v3", References.MocoV3(s), seed)),
            ("R-MAE", seed => Run("R-MAE", PretrainMethod.RMae(s.Mae, new RMaeConfig()), seed)),
            ("C-MAE", seed => Run("C-MAE", PretrainMethod.CMae(cmae, train: References.ContrastiveTrain(s)), seed)),
        ];
    }

    /// <summary>The size <paramref name="size"/> with this study's encoder, MAE, batch, learning rate and step budget.</summary>
    public static StudySize SizeFor(OneImageStudy study, RunSize size)
    {
        var r = study.Recipe;
        var stepsPerEpoch = Math.Max(1, r.SubsetImages / r.Pretrain.BatchSize);
        var epochs = Math.Max(1, (int)Math.Round((double)r.Budget.Steps / stepsPerEpoch));
        var pretrain = r.Pretrain with
        {
            Epochs = epochs, WarmupEpochs = epochs * (double)r.Budget.WarmupSteps / r.Budget.Steps,
            BatchSize = Math.Min(r.Pretrain.BatchSize, r.SubsetImages),   // a batch cannot be larger than the set (smoke: 10 images)
        };
        return StudySize.For(size) with { Encoder = r.Mae.Encoder, Mae = r.Mae, Pretrain = pretrain };
    }
}
