using static TorchSharp.torch;

namespace NotebookSsl.Models;

/// <summary>
/// Shape checks at the public API. A shape error inside libtorch's matmul aborts the process, so
/// every entry point checks its inputs here first and throws an exception that names the problem.
/// </summary>
public static class Shapes
{
    /// <summary>A tensor's shape as error messages print it: "[N, C, H, W]".</summary>
    public static string Of(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    /// <summary>Images must be [N, C, H, W] with the configured channels and size.</summary>
    public static void Image(Tensor images, VitConfig config, string name = "images")
    {
        if (images.dim() != 4 || images.shape[1] != config.Channels || images.shape[2] != config.ImageSize || images.shape[3] != config.ImageSize)
            throw new ArgumentException(
                $"{name} must be [N, {config.Channels}, {config.ImageSize}, {config.ImageSize}], got {Shapes.Of(images)}.");
        if (images.dtype != ScalarType.Float32)
            throw new ArgumentException($"{name} must be float32, got {images.dtype}.");
    }

    /// <summary>Tokens must be [N, L, D] with the given L (or any if null) and D.</summary>
    public static void Tokens(Tensor x, long? length, long width, string name)
    {
        if (x.dim() != 3 || (length is { } l && x.shape[1] != l) || x.shape[2] != width)
            throw new ArgumentException(
                $"{name} must be [N, {(length?.ToString() ?? "L")}, {width}], got {Shapes.Of(x)}.");
    }
}
