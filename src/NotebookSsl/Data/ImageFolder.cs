using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// An ImageNet-style folder: every subfolder of the root is a class (sorted by name, ordinal), holding its images
/// (png, jpg, jpeg, bmp). Each image is decoded, resized (bilinear) to size x size and stacked.
/// </summary>
public static class ImageFolder
{
    /// <summary>Loads every image under <paramref name="root"/>: images float32 [N, channels, size, size] in [0, 1], labels int64 [N].</summary>
    public static ImageDataset Load(string root, int size, int channels = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), $"channels must be 1 or 3; got {channels}");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");
        var classDirs = Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"{root}: no class subfolders (expected root/<class>/<image>)");
        var classNames = classDirs.Select(d => Path.GetFileName(d)!).ToArray();

        var files = new List<(string Path, long Label)>();
        for (var c = 0; c < classDirs.Length; c++)
            files.AddRange(Directory.GetFiles(classDirs[c])
                .Where(f => ImageDecoding.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (f, (long)c)));
        if (files.Count == 0)
            throw new InvalidDataException($"{root}: the class folders hold no {string.Join("/", ImageDecoding.Extensions)} images");

        using var scope = NewDisposeScope();
        var images = new Tensor[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            using var inner = NewDisposeScope();
            var img = ImageDecoding.Load(files[i].Path, channels);           // [1, C, h, w]
            images[i] = ImageDecoding.Resize(img, size, size).MoveToOuterDisposeScope(); // [1, C, size, size]
        }
        var x = cat(images, 0);                                              // [N, C, size, size]
        var y = tensor(files.Select(f => f.Label).ToArray(), ScalarType.Int64); // [N]
        return new ImageDataset(x, y, classNames, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root))));
    }
}
