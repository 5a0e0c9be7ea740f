using NotebookSsl.Data;
using NotebookSsl.Methods.Cae;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.MocoV3;
using NotebookSsl.Methods.MultiViewMae;
using NotebookSsl.Methods.RMae;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Studies;

/// <summary>
/// One arm of a comparison: how to build a method's model and how to pretrain it on a study's images. Its
/// <see cref="Kind"/> and <see cref="Config"/> (with the data and the training budget) key the run in the store, so two
/// notebooks asking for the same method get the same run. Build one with the factories below; a notebook shows the
/// config it passes.
/// </summary>
/// <param name="Name">What tables and curves call it ("MAE", "R-MAE", "CAE w/o alignment").</param>
/// <param name="Kind">The run store's kind (one per method family, e.g. "mae").</param>
/// <param name="Config">Everything that defines the model and its loss (a config record, serialised into the run key).</param>
/// <param name="Train">The method's own optimisation, or null for the size's pretraining budget.</param>
public sealed record PretrainMethod(string Name, string Kind, object Config, TrainConfig? Train = null)
{
    internal Func<Module> Build { get; init; } = null!;
    internal Func<Module, ImageDataset, TrainConfig, CancellationToken, IEnumerable<StepRecord>> Steps { get; init; } = null!;
    internal Func<Module, VisionTransformer> EncoderOf { get; init; } = null!;

    public override string ToString() => Name;

    static PretrainMethod Of<TModel>(string name, string kind, object config, Func<TModel> build,
        Func<TModel, ImageDataset, TrainConfig, CancellationToken, IEnumerable<StepRecord>> steps, Func<TModel, VisionTransformer> encoder)
        where TModel : Module => new(name, kind, config)
    {
        Build = () => build(),
        Steps = (model, images, train, cancel) => steps((TModel)model, images, train, cancel),
        EncoderOf = model => encoder((TModel)model),
    };

    /// <summary>A named per-batch augmentation (the name goes into the run key; the function draws from the run's generator).</summary>
    public sealed record Augmentation(string Name, Func<Tensor, Generator, Tensor> Apply)
    {
        /// <summary>One view per image: RandomResizedCrop and a flip.</summary>
        public static Augmentation Views(ViewAugmentation views) => new($"views({views.ScaleMin}-{views.ScaleMax})", (x, g) => views.Apply(x, g).Images);
        /// <summary>Colour jitter (0.4, 0.4, 0.4, 0.1 with probability 0.8, MoCo v3's).</summary>
        public static Augmentation ColorJitter { get; } = new("color-jitter", (x, g) => Augment.ColorJitter(x, g, 0.4, 0.4, 0.4, 0.1, p: 0.8));
        /// <summary>CutMix, then colour jitter (relaxmim Table 5).</summary>
        public static Augmentation CutMixColorJitter { get; } = new("cutmix+color-jitter", (x, g) => ColorJitter.Apply(Augment.CutMix(x, g), g));
    }

    /// <summary>MAE (main_pretrain.py): masked patches reconstructed from the visible ones.</summary>
    public static PretrainMethod Mae(MaeConfig config, string name = "MAE", Augmentation? augment = null) =>
        Of(name, "mae", new { Mae = config, Augment = augment?.Name }, () => new MaskedAutoencoder(config),
            (mae, data, train, cancel) => MaePretraining.Steps(mae, data.Images, train, augment?.Apply, cancel), mae => mae.Encoder);

    /// <summary>
    /// MAE's network without patch masking (relaxmim Table 5): an autoencoder of the (augmented) images, the loss on
    /// every patch (<see cref="MaePretraining.UnmaskedLoss"/>); <paramref name="config"/>'s mask ratio is unused.
    /// </summary>
    public static PretrainMethod UnmaskedMae(MaeConfig config, string name = "AE (no masking)", Augmentation? augment = null) =>
        Of(name, "ae", new { Mae = config, Augment = augment?.Name }, () => new MaskedAutoencoder(config),
            (mae, data, train, cancel) => MaePretraining.UnmaskedSteps(mae, data.Images, train, augment?.Apply, cancel), mae => mae.Encoder);

    /// <summary>R-MAE (relaxmim Eq. 8): two complementary masked views whose latents are pulled together.</summary>
    public static PretrainMethod RMae(MaeConfig mae, RMaeConfig config, string name = "R-MAE") =>
        Of(name, "rmae", new { Mae = mae, RMae = config }, () => new MaskedAutoencoder(mae),
            (model, data, train, cancel) => RelaxedMae.Steps(model, data.Images, config, train, cancel: cancel), model => model.Encoder);

    /// <summary>C-MAE (relaxmim §3): MAE plus a contrastive loss between a masked and a full view.</summary>
    public static PretrainMethod CMae(CMaeConfig config, string name = "C-MAE", TrainConfig? train = null) =>
        Of(name, "cmae", new { CMae = config }, () => new ContrastiveMae(config),
            (model, data, t, cancel) => ContrastiveMae.Steps(model, data.Images, t, cancel), model => model.Encoder) with { Train = train };

    /// <summary>MoCo v3: InfoNCE between two views, a momentum key encoder.</summary>
    public static PretrainMethod MocoV3(MocoV3Config config, string name = "MoCo v3", TrainConfig? train = null) =>
        Of(name, "mocov3", new { MocoV3 = config }, () => new MoCo(config),
            (model, data, t, cancel) => MoCo.Steps(model, data.Images, t, cancel), model => model.Encoder) with { Train = train };

    /// <summary>DINO: self-distillation from an EMA teacher on global and local crops.</summary>
    public static PretrainMethod Dino(DinoConfig config, string name = "DINO", TrainConfig? train = null) =>
        Of(name, "dino", new { Dino = config }, () => new DinoModel(config),
            (model, data, t, cancel) => model.Steps(data.Images, t, cancel), model => model.Encoder) with { Train = train };

    /// <summary>Uni-SSL (lc-mae-uni-ssl §4): DINO's loss on matched points of two views, plus a pixel predictor.</summary>
    public static PretrainMethod UniSsl(UniSslConfig config, string name = "Uni-SSL", TrainConfig? train = null) =>
        Of(name, "unissl", new { UniSsl = config }, () => new UniSslModel(config),
            (model, data, t, cancel) => model.Steps(data.Images, t, cancel: cancel), model => model.Encoder) with { Train = train };

    /// <summary>CAE: a latent regressor predicts the masked patches' latents, aligned with the encoder's, then decoded.</summary>
    public static PretrainMethod Cae(CaeConfig config, string name = "CAE", Augmentation? augment = null) =>
        Of(name, "cae", new { Cae = config, Augment = augment?.Name }, () => new ContextAutoencoder(config),
            (model, data, train, cancel) => ContextAutoencoder.Steps(model, data.Images, train, augment?.Apply, cancel), model => model.Encoder);

    /// <summary>Multi-view MAE: MAE on two views plus a contrastive loss between their pooled latents.</summary>
    public static PretrainMethod MultiViewMae(MultiViewMaeConfig config, string name = "MV-MAE") =>
        Of(name, "mvmae", new { MultiViewMae = config }, () => new MultiViewMaskedAutoencoder(config),
            (model, data, train, cancel) => MultiViewMaskedAutoencoder.Steps(model, data.Images, train, cancel), model => model.Encoder);

    /// <summary>
    /// <paramref name="method"/> pretrained on a few images in place of the study's (relaxmim §4, notebook 04): 1 to 1,000
    /// images, or one photo of any size when the method's augmentation crops it to the encoder's input. <paramref name="draw"/>
    /// gives them for a seed (the seed draws which); <paramref name="images"/> names them in the run key, so one name must
    /// mean one set of images per seed. They are repeated to the study's image count (one image as a view: a photo would
    /// cost that many copies), so the method takes the size's number of steps whatever their number (an epoch over one
    /// image would be one step) and every batch is drawn evenly from them. <paramref name="stopAt"/> ends the run after
    /// that many steps of the same schedule (an early-stopping point: a run of its own, trained from the start).
    /// </summary>
    public static PretrainMethod OnFewImages(PretrainMethod method, string images, Func<int, ImageDataset> draw, string? name = null, int? stopAt = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(images);
        ArgumentNullException.ThrowIfNull(draw);
        if (stopAt < 1) throw new ArgumentException($"stopAt must be at least 1 step (null: the whole run), got {stopAt}.", nameof(stopAt));
        return method with
        {
            Name = name ?? method.Name, Config = new { Method = method.Config, Images = images, StopAt = stopAt },
            Steps = (model, data, train, cancel) => FewImageSteps(method, model, data.Count, () => draw(train.Seed), train, stopAt, cancel),
        };
    }

    static IEnumerable<StepRecord> FewImageSteps(PretrainMethod method, Module model, int count, Func<ImageDataset> draw, TrainConfig train,
        int? stopAt, CancellationToken cancel)
    {
        if (stopAt >= Trainer.TotalSteps(count, train))
            throw new ArgumentException($"stopAt {stopAt} is not before the run's last step ({Trainer.TotalSteps(count, train)} steps): use the whole run (stopAt null).");
        using var few = draw();
        if (few.Count > count)
            throw new ArgumentException($"{few.Name} has {few.Count} images, more than the study's {count}: repeating them to {count} would drop some.");
        using var repeated = few.Count == 1
            ? new ImageDataset(few.Images.expand(count, -1, -1, -1), few.Labels.expand(count), few.ClassNames, few.Name)   // [N, C, H, W], a view
            : few.Select(Enumerable.Range(0, count).Select(i => (long)(i % few.Count)).ToArray(), few.Name);             // [N, C, H, W]
        var steps = method.Steps(model, repeated, train, cancel);
        foreach (var step in stopAt is { } s ? steps.Take(s) : steps) yield return step;
    }

    /// <summary>The supervised reference: the same ViT with MAE's fine-tuning head, trained on the labels of the study's images.</summary>
    public static PretrainMethod Supervised(VitConfig encoder, TrainConfig train, string name = "supervised", Augmentation? augment = null) =>
        Of(name, "supervised", new { Encoder = encoder, Augment = augment?.Name }, () => new Probes.Classifier(new VisionTransformer(encoder), 10),
            (model, data, t, cancel) => Methods.Supervised.SupervisedTraining.Steps(model, data.Images, data.Labels, t, augment?.Apply, cancel),
            model => model.Encoder) with { Train = train };
}
