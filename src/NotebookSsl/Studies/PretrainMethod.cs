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

    /// <summary>The supervised reference: the same ViT with MAE's fine-tuning head, trained on the labels of the study's images.</summary>
    public static PretrainMethod Supervised(VitConfig encoder, TrainConfig train, string name = "supervised", Augmentation? augment = null) =>
        Of(name, "supervised", new { Encoder = encoder, Augment = augment?.Name }, () => new Probes.Classifier(new VisionTransformer(encoder), 10),
            (model, data, t, cancel) => Methods.Supervised.SupervisedTraining.Steps(model, data.Images, data.Labels, t, augment?.Apply, cancel),
            model => model.Encoder) with { Train = train };
}
