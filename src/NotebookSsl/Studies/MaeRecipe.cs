using NotebookSsl.Methods.Mae;
using NotebookSsl.Probes;
using NotebookSsl.Training;

namespace NotebookSsl.Studies;

/// <summary>
/// The main job's recipe at one size (<see cref="Pretrain.MaePipeline.RecipeFor"/>): the MAE, its pretraining, and the
/// evaluation protocol that scores it (the size's <see cref="EvalProtocol"/>, on the job's own data budget).
/// </summary>
public sealed record MaeRecipe
{
    /// <summary>The MAE (with the Transformer decoder at 7×7, Table 1's conv decoder at 14×14).</summary>
    public MaeConfig Mae { get; init; } = new();
    public TrainConfig Pretrain { get; init; } = new();
    /// <summary>How the pretrained encoder, random init and raw pixels are scored; its TrainImages are the pretraining images.</summary>
    public EvalProtocol Protocol { get; init; } = new();

    /// <summary>Pretraining and probe-training images: the first N of the train split.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int TrainImages => Protocol.TrainImages;
    /// <summary>Held-out images every probe scores: the first N of the test split.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int TestImages => Protocol.TestImages;

    /// <summary>The same recipe with every seed set to <paramref name="seed"/> (pretraining; the probes take it from the run).</summary>
    public MaeRecipe WithSeed(int seed) => this with { Pretrain = Pretrain with { Seed = seed } };
}
