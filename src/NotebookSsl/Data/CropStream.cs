using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// An endless, seeded stream of augmented crops cut from a few source images: one photo (relaxmim §4's "one image",
/// here <c>data/chelsea.png</c> in grey) or a tiny labelled subset (1, 10, 100 images). Each batch draws its source
/// images uniformly with replacement, then one view of each through <see cref="Augmentation"/>, all from one
/// generator seeded once: the same seed gives the same batches, in the same order, on every run.
/// Pretraining on it runs for a number of steps, not epochs (an epoch over one image would be one step).
/// </summary>
public sealed class CropStream : IDisposable
{
    bool disposed;

    /// <summary>Keeps a copy of <paramref name="source"/> float32 [N, C, H, W] in [0, 1] (any H, W: crops are resized to the view size).</summary>
    public CropStream(Tensor source, ViewAugmentation augmentation, string name)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(augmentation);
        Augment.CheckBatch(source);
        if (source.shape[0] < 1) throw new ArgumentException("a crop stream needs at least one source image", nameof(source));
        ArgumentOutOfRangeException.ThrowIfLessThan(augmentation.Size, 1);
        using (NewDisposeScope())
            Source = source.to_type(ScalarType.Float32).contiguous().clone().DetachFromDisposeScope();
        Augmentation = augmentation;
        Name = name;
    }

    /// <summary>The source images [N, C, H, W].</summary>
    public Tensor Source { get; }
    /// <summary>How each crop is made: its size is the encoder's input size.</summary>
    public ViewAugmentation Augmentation { get; }
    public string Name { get; }
    public int Count => (int)Source.shape[0];
    public int Channels => (int)Source.shape[1];
    /// <summary>Side of every crop.</summary>
    public int Size => Augmentation.Size;

    /// <summary>
    /// The "stronger augmentation" of relaxmim §4 for grey crops: the paper names no recipe, so this is SimCLR's
    /// (crop scale 0.08–1 instead of MAE's 0.2–1, flip, brightness/contrast jitter 0.4 with p 0.8, Gaussian blur with
    /// p 0.5; saturation, hue and grayscale do nothing to one channel).
    /// </summary>
    public static ViewAugmentation StrongAugmentation(int size) => ViewAugmentation.SimClr(size) with { GrayscaleProbability = 0 };

    /// <summary>A stream of crops of the photo at <paramref name="path"/>, decoded to <paramref name="channels"/> channels (default grey).</summary>
    public static CropStream FromPhoto(string path, ViewAugmentation augmentation, int channels = 1)
    {
        using var photo = ImageDecoding.Load(path, channels); // [1, C, H, W]
        return new CropStream(photo, augmentation, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>A stream of augmented views of the images of <paramref name="images"/> (labels are dropped).</summary>
    public static CropStream FromImages(ImageDataset images, ViewAugmentation augmentation)
    {
        ArgumentNullException.ThrowIfNull(images);
        return new CropStream(images.Images, augmentation, images.Name);
    }

    /// <summary>
    /// Endless batches [B, C, Size, Size], seeded by <paramref name="seed"/>. Each batch is a new tensor the caller
    /// owns (a dispose scope around each step frees it). Nothing is drawn until a batch is asked for.
    /// </summary>
    public IEnumerable<Tensor> Batches(int batchSize, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        return Endless(batchSize, seed);
    }

    IEnumerable<Tensor> Endless(int batchSize, long seed)
    {
        using var generator = new Generator((ulong)seed);
        while (true)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            yield return Next(batchSize, generator);
        }
    }

    /// <summary>One batch [B, C, Size, Size] drawn from <paramref name="generator"/>.</summary>
    public Tensor Next(int batchSize, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(generator);
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = NewDisposeScope();
        // which source image each crop comes from (uniform, with replacement)
        var sources = Count == 1
            ? Source.expand(batchSize, -1, -1, -1)                                              // [B, C, H, W] (a view)
            : Source.index_select(0, randint(Count, [batchSize], generator: generator));       // [B, C, H, W]
        // one augmented view of each
        using var views = Augmentation.Apply(sources, generator);                              // [B, C, S, S]
        return views.Images.clone().MoveToOuterDisposeScope();
    }

    /// <summary>The first <paramref name="count"/> crops of the stream seeded by <paramref name="seed"/> taken as one batch, e.g. to show them.</summary>
    public Tensor Take(int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        return Next(count, generator);
    }

    public override string ToString() =>
        $"{Name}: crops {Size}x{Size} of {Count} image(s) {Channels}x{Source.shape[2]}x{Source.shape[3]}";

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Source.Dispose();
    }
}
