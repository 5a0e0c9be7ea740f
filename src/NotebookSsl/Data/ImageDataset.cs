using TorchSharp;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Data;

/// <summary>
/// A labelled image set held in memory: <see cref="Images"/> float32 [N, C, H, W] in [0, 1] and
/// <see cref="Labels"/> int64 [N]. The dataset owns its two tensors (they are detached from any
/// dispose scope) and frees them in <see cref="Dispose"/>. Every subset is a new dataset with its own copies.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    bool disposed;

    /// <summary>Takes ownership of <paramref name="images"/> and <paramref name="labels"/> after checking them.</summary>
    public ImageDataset(Tensor images, Tensor labels, string[] classNames, string name)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (images.dim() != 4)
            throw new ArgumentException($"images must be [N, C, H, W]; got shape {Shapes.Of(images)}", nameof(images));
        if (images.dtype != ScalarType.Float32)
            throw new ArgumentException($"images must be float32; got {images.dtype}", nameof(images));
        var c = images.shape[1];
        if (c != 1 && c != 3)
            throw new ArgumentException($"images must have 1 or 3 channels; got {c}", nameof(images));
        if (labels.dim() != 1 || labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"labels must be int64 [N]; got {labels.dtype} {Shapes.Of(labels)}", nameof(labels));
        if (labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{labels.shape[0]} labels for {images.shape[0]} images", nameof(labels));
        if (classNames.Length == 0)
            throw new ArgumentException("a dataset needs at least one class name", nameof(classNames));
        if (labels.numel() > 0)
        {
            using var minT = labels.min();
            using var maxT = labels.max();
            long min = minT.ToInt64(), max = maxT.ToInt64();
            if (min < 0 || max >= classNames.Length)
                throw new ArgumentException($"labels range over [{min}, {max}] but there are {classNames.Length} classes", nameof(labels));
        }
        Images = images.DetachFromDisposeScope();
        Labels = labels.DetachFromDisposeScope();
        ClassNames = classNames;
        Name = name;
    }

    /// <summary>float32 [N, C, H, W], values in [0, 1].</summary>
    public Tensor Images { get; }
    /// <summary>int64 [N], class indices into <see cref="ClassNames"/>.</summary>
    public Tensor Labels { get; }
    public string[] ClassNames { get; }
    public string Name { get; }

    public int Count => (int)Images.shape[0];
    public int Channels => (int)Images.shape[1];
    public int Height => (int)Images.shape[2];
    public int Width => (int)Images.shape[3];
    /// <summary>Side of the (square) images; throws when they are not square.</summary>
    public int ImageSize => Height == Width ? Height
        : throw new InvalidOperationException($"{Name}: images are {Height}x{Width}, not square");
    public int NumClasses => ClassNames.Length;

    /// <summary>The labels as a managed array.</summary>
    public long[] LabelArray() => Labels.data<long>().ToArray();

    /// <summary>How many images each class has, indexed by class.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[NumClasses];
        foreach (var l in LabelArray()) counts[l]++;
        return counts;
    }

    /// <summary>A new dataset made of the images at <paramref name="indices"/> (in that order).</summary>
    public ImageDataset Select(long[] indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (var i in indices)
            if (i < 0 || i >= Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} is outside [0, {Count})");
        using var scope = NewDisposeScope();
        var idx = tensor(indices, ScalarType.Int64);
        return new ImageDataset(Images.index_select(0, idx), Labels.index_select(0, idx), ClassNames, name ?? Name);
    }

    /// <summary>The first <paramref name="n"/> images (all of them when n ≥ Count).</summary>
    public ImageDataset Take(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        n = Math.Min(n, Count);
        return Select(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), $"{Name}[:{n}]");
    }

    /// <summary>All images of class <paramref name="classIndex"/>, in their original order.</summary>
    public ImageDataset OfClass(int classIndex)
    {
        if (classIndex < 0 || classIndex >= NumClasses)
            throw new ArgumentOutOfRangeException(nameof(classIndex), $"class {classIndex} is outside [0, {NumClasses})");
        var labels = LabelArray();
        var idx = Enumerable.Range(0, Count).Where(i => labels[i] == classIndex).Select(i => (long)i).ToArray();
        return Select(idx, $"{Name}[{ClassNames[classIndex]}]");
    }

    /// <summary><paramref name="n"/> images drawn without replacement, the same ones for the same seed.</summary>
    public ImageDataset RandomSubset(int n, long seed)
    {
        if (n < 0 || n > Count)
            throw new ArgumentOutOfRangeException(nameof(n), $"cannot draw {n} of {Count} images");
        var perm = Permutation(Count, seed);
        return Select(perm[..n], $"{Name}[random {n}, seed {seed}]");
    }

    /// <summary>
    /// Exactly <paramref name="n"/> images of every class, drawn at random (repeatably for a seed), kept in
    /// dataset order. Throws when a class has fewer than n images.
    /// </summary>
    public ImageDataset PerClass(int n, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var labels = LabelArray();
        var counts = ClassCounts();
        for (var c = 0; c < NumClasses; c++)
            if (counts[c] < n)
                throw new ArgumentException($"{Name}: class {c} ({ClassNames[c]}) has {counts[c]} images, fewer than {n}", nameof(n));
        var taken = new int[NumClasses];
        var chosen = new List<long>(n * NumClasses);
        foreach (var i in Permutation(Count, seed))
        {
            var c = labels[i];
            if (taken[c] < n) { taken[c]++; chosen.Add(i); }
        }
        chosen.Sort();
        return Select(chosen.ToArray(), $"{Name}[{n} per class, seed {seed}]");
    }

    /// <summary>Splits off a random <paramref name="heldOutFraction"/> of the images (rounded) as held out.</summary>
    public (ImageDataset Train, ImageDataset HeldOut) Split(double heldOutFraction, long seed)
    {
        if (!(heldOutFraction >= 0 && heldOutFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), $"fraction {heldOutFraction} is not in [0, 1]");
        return Split((int)Math.Round(heldOutFraction * Count), seed);
    }

    /// <summary>Splits off <paramref name="heldOutCount"/> random images as held out; the rest is train. Both keep dataset order.</summary>
    public (ImageDataset Train, ImageDataset HeldOut) Split(int heldOutCount, long seed)
    {
        if (heldOutCount < 0 || heldOutCount > Count)
            throw new ArgumentOutOfRangeException(nameof(heldOutCount), $"cannot hold out {heldOutCount} of {Count} images");
        var perm = Permutation(Count, seed);
        var held = perm[..heldOutCount];
        var train = perm[heldOutCount..];
        Array.Sort(held);
        Array.Sort(train);
        return (Select(train, $"{Name}[train]"), Select(held, $"{Name}[held out]"));
    }

    /// <summary>
    /// Mini-batches of (images [B, C, H, W], labels [B]), index-selected copies that the caller owns
    /// (a dispose scope around each step frees them), moved to <paramref name="device"/> when given. Shuffled with a
    /// generator seeded by <paramref name="seed"/>.
    /// </summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> Batches(int batchSize, bool shuffle = false, long seed = 0,
        bool dropLast = false, Device? device = null)
    {
        if (!shuffle) return Batches(batchSize, null, dropLast, device);
        return BatchesSeeded(batchSize, seed, dropLast, device);
    }

    IEnumerable<(Tensor Images, Tensor Labels)> BatchesSeeded(int batchSize, long seed, bool dropLast, Device? device)
    {
        using var g = new Generator((ulong)seed);
        foreach (var b in Batches(batchSize, g, dropLast, device)) yield return b;
    }

    /// <summary>Mini-batches in an order drawn from <paramref name="generator"/> (dataset order when null).</summary>
    public IEnumerable<(Tensor Images, Tensor Labels)> Batches(int batchSize, Generator? generator, bool dropLast = false,
        Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        Tensor order;
        using (NewDisposeScope())
        {
            order = (generator is null ? arange(Count, ScalarType.Int64) : randperm(Count, generator: generator))
                .DetachFromDisposeScope(); // [N]
        }
        using (order)
        {
            for (long start = 0; start < Count; start += batchSize)
            {
                var len = Math.Min(batchSize, Count - start);
                if (dropLast && len < batchSize) yield break;
                using var idx = order.narrow(0, start, len); // [B]
                var x = Images.index_select(0, idx); // [B, C, H, W]
                var y = Labels.index_select(0, idx); // [B]
                if (device is not null && (device.type != x.device.type || device.index != x.device.index))
                    yield return (x.to(device, disposeAfter: true), y.to(device, disposeAfter: true));
                else
                    yield return (x, y);
            }
        }
    }

    /// <summary>Per-channel mean and std of the images (population std).</summary>
    public ChannelStats ComputeChannelStats() => ChannelStats.Compute(Images);

    /// <summary>A random permutation of 0..n-1 from torch's generator seeded with <paramref name="seed"/>.</summary>
    internal static long[] Permutation(int n, long seed)
    {
        using var g = new Generator((ulong)seed);
        using var perm = randperm(n, generator: g);
        return perm.data<long>().ToArray();
    }

    public override string ToString() =>
        $"{Name}: {Count} images {Channels}x{Height}x{Width}, {NumClasses} classes";

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Images.Dispose();
        Labels.Dispose();
    }
}
