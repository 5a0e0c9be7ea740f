using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// One photo cut into many random crops, for the "one image is enough" experiment. The repository ships one
/// photo, <c>data/chelsea.png</c> (CC0; see data/LICENSES.md).
/// </summary>
public static class SingleImage
{
    /// <summary>File name of the photo shipped in data/.</summary>
    public const string ShippedPhoto = "chelsea.png";

    /// <summary>Path of the shipped photo in the repository's data folder; throws when the repository is not found.</summary>
    public static string ShippedPhotoPath() =>
        DataPaths.RepoData(ShippedPhoto) is { } p && File.Exists(p) ? p
        : throw new FileNotFoundException($"data/{ShippedPhoto} not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}");

    /// <summary>Decodes the photo at <paramref name="path"/> to float32 [1, C, H, W] in [0, 1].</summary>
    public static Tensor Load(string path, int channels = 3) => ImageDecoding.Load(path, channels);

    /// <summary>
    /// <paramref name="count"/> random resized crops of <paramref name="image"/> ([1, C, H, W] or [C, H, W]), each
    /// size x size, with area fraction drawn from <paramref name="scale"/> (default 0.08..1, as in torchvision) and
    /// aspect ratio 3/4..4/3. The same seed gives the same crops. Returns float32 [count, C, size, size].
    /// </summary>
    public static Tensor RandomCrops(Tensor image, int count, int size, (double Min, double Max)? scale = null, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var x = image.dim() switch
        {
            3 => image.unsqueeze(0),
            4 when image.shape[0] == 1 => image.alias(),
            _ => throw new ArgumentException($"image must be [1, C, H, W] or [C, H, W]; got {Shapes.Of(image)}", nameof(image)),
        };
        using (x)
        {
            using var g = new Generator((ulong)seed);
            using var scope = NewDisposeScope();
            var batch = x.expand(count, -1, -1, -1);                          // [count, C, H, W] (a view)
            var (crops, _) = Augment.RandomResizedCrop(batch, size, g, scale ?? (0.08, 1.0));
            return crops.MoveToOuterDisposeScope();                           // [count, C, size, size]
        }
    }

    /// <summary>The crops of <see cref="RandomCrops"/> as a one-class dataset (label 0, class named after the file).</summary>
    public static ImageDataset RandomCropDataset(string path, int count, int size, (double Min, double Max)? scale = null,
        long seed = 0, int channels = 3)
    {
        using var scope = NewDisposeScope();
        var image = Load(path, channels);                                     // [1, C, H, W]
        var crops = RandomCrops(image, count, size, scale, seed);             // [count, C, size, size]
        var labels = zeros(count, ScalarType.Int64);                          // [count]
        var name = Path.GetFileNameWithoutExtension(path);
        return new ImageDataset(crops, labels, [name], $"{name} x{count} crops");
    }
}
