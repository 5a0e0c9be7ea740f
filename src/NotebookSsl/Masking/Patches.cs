using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Masking;

/// <summary>MAE's patchify / unpatchify: a patch's p·p·C values are ordered (row, column, channel).</summary>
public static class Patches
{
    /// <summary>[N, C, H, W] → [N, L, p²·C].</summary>
    public static Tensor Patchify(Tensor images, int patchSize)
    {
        if (images.dim() != 4 || images.shape[2] != images.shape[3] || images.shape[2] % patchSize != 0)
            throw new ArgumentException($"Patchify needs square [N, C, H, W] images with H divisible by {patchSize}, got {Shapes.Of(images)}.");
        long n = images.shape[0], c = images.shape[1], g = images.shape[2] / patchSize;
        return images.reshape(n, c, g, patchSize, g, patchSize)   // [N, C, h, p, w, q]
            .permute(0, 2, 4, 3, 5, 1)                             // [N, h, w, p, q, C]
            .reshape(n, g * g, patchSize * patchSize * c);         // [N, L, p²C]
    }

    /// <summary>[N, L, p²·C] → [N, C, H, W].</summary>
    public static Tensor Unpatchify(Tensor patches, int patchSize, int channels)
    {
        long n = patches.shape[0], l = patches.shape[1], g = (long)Math.Round(Math.Sqrt(l));
        if (patches.dim() != 3 || g * g != l || patches.shape[2] != patchSize * patchSize * channels)
            throw new ArgumentException($"Unpatchify needs [N, g², {patchSize * patchSize * channels}], got {Shapes.Of(patches)}.");
        return patches.reshape(n, g, g, patchSize, patchSize, channels) // [N, h, w, p, q, C]
            .permute(0, 5, 1, 3, 2, 4)                                   // [N, C, h, p, w, q]
            .reshape(n, channels, g * patchSize, g * patchSize);         // [N, C, H, W]
    }

    /// <summary>Images with the masked patches greyed out (for showing what the encoder saw).</summary>
    /// <param name="images">[N, C, H, W]</param>
    /// <param name="mask">[N, L], 1 on the patches to grey out, L = (H / patchSize)².</param>
    public static Tensor MaskImages(Tensor images, Tensor mask, int patchSize, double fill = 0.5)
    {
        if (patchSize < 1) throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, "The patch size must be positive.");
        if (images.dim() != 4 || images.shape[2] != images.shape[3] || images.shape[2] % patchSize != 0)
            throw new ArgumentException($"MaskImages needs square [N, C, H, W] images with H divisible by {patchSize}, got {Shapes.Of(images)}.", nameof(images));
        long n = images.shape[0], l = (images.shape[2] / patchSize) * (images.shape[2] / patchSize);
        if (mask.dim() != 2 || mask.shape[0] != n || mask.shape[1] != l)
            throw new ArgumentException($"The mask must be [{n}, {l}] (one value per {patchSize}×{patchSize} patch of each image), got {Shapes.Of(mask)}.", nameof(mask));
        long c = images.shape[1];
        var patches = Patchify(images, patchSize);                              // [N, L, p²C]
        var keep = (1 - mask).unsqueeze(-1);                                    // [N, L, 1]
        return Unpatchify(patches * keep + fill * (1 - keep), patchSize, (int)c); // [N, C, H, W]
    }
}
