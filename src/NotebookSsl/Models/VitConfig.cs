namespace NotebookSsl.Models;

/// <summary>
/// A Vision Transformer's shape. The defaults are a laptop-sized ViT for 28×28 grey images
/// (Fashion-MNIST): 7×7 = 49 patches of 4×4 pixels, 6 blocks of width 128.
/// </summary>
public sealed record VitConfig
{
    /// <summary>Side of the square input image, in pixels. Must be a multiple of <see cref="PatchSize"/>.</summary>
    public int ImageSize { get; init; } = 28;
    /// <summary>Side of a square patch, in pixels (ViT-B/16 uses 16; 4 suits 28–32 px images).</summary>
    public int PatchSize { get; init; } = 4;
    /// <summary>Input channels: 1 (grey) or 3 (RGB).</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Token width D (ViT-B: 768, ViT-T: 192).</summary>
    public int Width { get; init; } = 128;
    /// <summary>Number of transformer blocks (ViT-B: 12).</summary>
    public int Depth { get; init; } = 6;
    /// <summary>Attention heads; must divide <see cref="Width"/>.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Hidden width of each MLP as a multiple of <see cref="Width"/> (4 in ViT and MAE).</summary>
    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Patches per side, g = ImageSize / PatchSize.</summary>
    public int GridSize => ImageSize / PatchSize;
    /// <summary>Number of patch tokens L = g².</summary>
    public int NumPatches => GridSize * GridSize;
    /// <summary>Values in one patch, p²·C (the pixel-prediction target's width).</summary>
    public int PatchDim => PatchSize * PatchSize * Channels;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistency.</summary>
    public VitConfig Validate()
    {
        if (Channels is not (1 or 3)) throw new ArgumentException($"Channels must be 1 or 3, got {Channels}.");
        if (PatchSize <= 0 || ImageSize <= 0) throw new ArgumentException($"ImageSize ({ImageSize}) and PatchSize ({PatchSize}) must be positive.");
        if (ImageSize % PatchSize != 0)
            throw new ArgumentException($"PatchSize {PatchSize} does not divide ImageSize {ImageSize}.");
        if (Width <= 0 || Depth < 0 || Heads <= 0) throw new ArgumentException($"Width ({Width}), Depth ({Depth}) and Heads ({Heads}) must be positive.");
        if (Width % Heads != 0) throw new ArgumentException($"Heads {Heads} does not divide Width {Width}.");
        if (Width % 4 != 0) throw new ArgumentException($"Width {Width} must be a multiple of 4 for the 2-D sin-cos position embedding.");
        if (MlpRatio <= 0) throw new ArgumentException($"MlpRatio must be positive, got {MlpRatio}.");
        return this;
    }
}
