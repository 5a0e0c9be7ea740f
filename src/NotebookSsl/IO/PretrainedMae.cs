using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.IO;

/// <summary>
/// The public pretrained MAE ViT-B/16 of Hugging Face (<c>facebook/vit-mae-base</c>, <c>model.safetensors</c>,
/// about 448 MB, Apache-2.0; download it yourself, nothing is fetched here) as a <see cref="MaskedAutoencoder"/>:
/// the file is read with <see cref="Safetensors.Load(string)"/>, renamed with
/// <see cref="HuggingFaceMae.ToOfficialNames"/> and copied with <see cref="Weights.Copy"/> (every name and shape checked).
/// <para>
/// Differences from the Hugging Face model, for anyone comparing numbers: its LayerNorms use eps 1e-12
/// (<c>layer_norm_eps</c> in its config.json) where this library, like the official MAE code (timm), uses 1e-6;
/// on ViT-B activations the difference is far below float32 noise in attention maps, but outputs are not
/// bit-identical. Its config sets <c>norm_pix_loss: false</c> (the checkpoint was converted from MAE's
/// visualisation weights, trained on raw pixels), hence <see cref="VitBase"/>'s NormPixLoss = false. Its
/// inputs are 224×224 RGB normalised with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225):
/// see <see cref="Normalize"/>.
/// </para>
/// </summary>
public static class PretrainedMae
{
    /// <summary>Environment variable naming the downloaded model.safetensors.</summary>
    public const string EnvironmentVariable = "NBSSL_VITMAE_BASE";

    /// <summary>ViT-B/16 at 224 px with MAE's 8-block, 512-wide, 16-head decoder; raw-pixel targets.</summary>
    public static MaeConfig VitBase { get; } = new()
    {
        Encoder = new VitConfig { ImageSize = 224, PatchSize = 16, Channels = 3, Width = 768, Depth = 12, Heads = 12, MlpRatio = 4 },
        DecoderWidth = 512, DecoderDepth = 8, DecoderHeads = 16, MaskRatio = 0.75, NormPixLoss = false,
    };

    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Builds an MAE of <paramref name="config"/> (default <see cref="VitBase"/>) and loads a Hugging Face ViTMAE safetensors file into it.</summary>
    public static MaskedAutoencoder LoadHuggingFace(string path, MaeConfig? config = null, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No Hugging Face ViTMAE weights at {path}: download model.safetensors of facebook/vit-mae-base and pass its path (or set {EnvironmentVariable}).", path);
        config ??= VitBase;
        var mae = new MaskedAutoencoder(config, device);
        try
        {
            using var scope = NewDisposeScope();
            var hf = Safetensors.Load(path);
            Weights.Copy(mae, HuggingFaceMae.ToOfficialNames(hf), strict: true, from: path);
        }
        catch
        {
            mae.Dispose();
            throw;
        }
        mae.eval();
        return mae;
    }

    /// <summary>$NBSSL_VITMAE_BASE, else data/vit-mae-base/model.safetensors in the repository, if the file exists; otherwise null.</summary>
    public static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return File.Exists(fromEnvironment) ? fromEnvironment : null;
        var inRepo = Data.DataPaths.RepoData(Path.Combine("vit-mae-base", "model.safetensors"));
        return inRepo is not null && File.Exists(inRepo) ? inRepo : null;
    }

    /// <summary>RGB images [N, 3, H, W] in [0, 1] normalised with the ImageNet mean and std, as the checkpoint expects.</summary>
    public static Tensor Normalize(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"images must be RGB [N, 3, H, W], got {Shapes.Of(images)}.", nameof(images));
        using var scope = NewDisposeScope();
        var mean = tensor(ImageNetMean, device: images.device).view(1, 3, 1, 1); // [1, 3, 1, 1]
        var std = tensor(ImageNetStd, device: images.device).view(1, 3, 1, 1);   // [1, 3, 1, 1]
        return ((images - mean) / std).MoveToOuterDisposeScope();                  // [N, 3, H, W]
    }
}
