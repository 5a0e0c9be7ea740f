using StbImageSharp;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>Decodes image files (png, jpg, bmp, ...) with StbImageSharp into float tensors, and resizes them.</summary>
public static class ImageDecoding
{
    /// <summary>File extensions <see cref="ImageFolder"/> picks up.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>Decodes a file to float32 [1, C, H, W] in [0, 1], with C = 1 (grey) or 3 (RGB).</summary>
    public static Tensor Load(string path, int channels = 3)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be 1 or 3; got {channels}");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image not found", path);
        ImageResult image;
        try
        {
            using var stream = File.OpenRead(path);
            image = ImageResult.FromStream(stream, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not IOException and not UnauthorizedAccessException)
        {
            // StbImageSharp's reason is sometimes a chunk type it never read (a file cut short): NUL characters; drop them
            var reason = e.Message.Replace("\0", "").Trim();
            if (reason.Length == 0) reason = "the decoder gave no reason: the file is probably cut short";
            throw new InvalidDataException($"{path}: cannot decode image ({reason}); the file is damaged or not an image: replace or remove it.", e);
        }
        if (image is null || image.Data is null || image.Width <= 0 || image.Height <= 0)
            throw new InvalidDataException($"{path}: cannot decode image");
        using var scope = NewDisposeScope();
        var hwc = tensor(image.Data, [image.Height, image.Width, channels], ScalarType.Byte); // [H, W, C]
        return hwc.permute(2, 0, 1).unsqueeze(0).to_type(ScalarType.Float32).div_(255f)   // [1, C, H, W]
            .contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Bilinear resize of [N, C, H, W] to [N, C, height, width] (antialiased when shrinking, as torchvision does), clamped to [0, 1].</summary>
    public static Tensor Resize(Tensor images, int height, int width)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"images must be [N, C, H, W]; got {Shapes.Of(images)}", nameof(images));
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (images.shape[2] == height && images.shape[3] == width) return images.clone();
        using var scope = NewDisposeScope();
        var shrinking = images.shape[2] > height || images.shape[3] > width;
        return nn.functional.interpolate(images, [height, width], mode: InterpolationMode.Bilinear,
                align_corners: false, antialias: shrinking)
            .clamp_(0, 1).MoveToOuterDisposeScope(); // [N, C, height, width]
    }
}
