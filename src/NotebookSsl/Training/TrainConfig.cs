namespace NotebookSsl.Training;

/// <summary>
/// An optimisation recipe. The defaults are MAE's pretraining recipe (main_pretrain.py) where it
/// carries over to a laptop: AdamW with betas (0.9, 0.95) and weight decay 0.05, learning rate =
/// base × batch / 256, linear warmup then half-cycle cosine.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>Passes over the training set (MAE: 800–1600 on ImageNet; a laptop run: tens).</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Images per step (MAE: 4096 over 64 GPUs; 128 keeps a 2-core CPU busy).</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Learning rate per 256 images (MAE pretraining: 1.5e-4; fine-tuning: 1e-3 with layer decay).</summary>
    public double BaseLr { get; init; } = 1.5e-4;
    /// <summary>An absolute learning rate; when set it overrides BaseLr × BatchSize / 256.</summary>
    public double? Lr { get; init; }
    /// <summary>Floor of the cosine schedule (MAE: 0).</summary>
    public double MinLr { get; init; } = 0;
    /// <summary>Epochs of linear warmup (MAE: 40 of 800; here a fraction of a short run).</summary>
    public double WarmupEpochs { get; init; } = 1;
    /// <summary>AdamW decoupled weight decay; never applied to norms, biases, tokens or position embeddings.</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>AdamW β2 (0.95 for MAE pretraining, 0.999 for fine-tuning).</summary>
    public double Beta2 { get; init; } = 0.95;
    /// <summary>
    /// Clip the global gradient norm to this (null: no clipping, as in MAE pretraining). DINO and Uni-SSL clip each
    /// parameter's gradient norm to it on its own instead, as DINO's utils.clip_gradients does.
    /// </summary>
    public double? ClipGrad { get; init; }
    /// <summary>Seeds the model's initialisation, the data order, the masks and the augmentations.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>The learning rate actually used at the peak of the schedule.</summary>
    public double PeakLr => Lr ?? BaseLr * BatchSize / 256.0;

    public TrainConfig Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}.");
        if (!(PeakLr > 0) || double.IsInfinity(PeakLr)) throw new ArgumentException($"The learning rate must be positive and finite, got {PeakLr} (Lr {Lr?.ToString() ?? "unset"}, BaseLr {BaseLr}).");
        if (!(MinLr >= 0) || MinLr > PeakLr) throw new ArgumentException($"MinLr must lie in [0, the peak learning rate {PeakLr}], got {MinLr}.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"WeightDecay must be a finite number ≥ 0, got {WeightDecay}.");
        if (!(Beta1 is >= 0 and < 1)) throw new ArgumentException($"Beta1 must lie in [0, 1), got {Beta1}.");
        if (!(Beta2 is >= 0 and < 1)) throw new ArgumentException($"Beta2 must lie in [0, 1), got {Beta2}.");
        if (!(WarmupEpochs >= 0) || WarmupEpochs > Epochs) throw new ArgumentException($"WarmupEpochs must lie in [0, Epochs], got {WarmupEpochs}.");
        if (ClipGrad is { } clip && !(clip > 0)) throw new ArgumentException($"ClipGrad must be positive when set, got {ClipGrad}.");
        return this;
    }
}
