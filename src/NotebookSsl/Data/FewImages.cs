namespace NotebookSsl.Data;

/// <summary>How a few images are drawn from a labelled pool (relaxmim §4, Table 7).</summary>
public enum FewImageSampling
{
    /// <summary>The first N images of the pool, in order (no seed).</summary>
    First,
    /// <summary>N images drawn at random without replacement (seeded).</summary>
    Random,
    /// <summary>N images of one class, the class and the images drawn by the seed.</summary>
    OneClass,
    /// <summary>One image of each class in turn (class 0, 1, ..., K-1, 0, 1, ...), each class's images in a seeded order.</summary>
    OnePerClass,
}

/// <summary>
/// Few-image subsets of a labelled pool for pretraining on 1, 10, 100 or 1,000 images (relaxmim §4, Tables 6–8).
/// Every sampler returns a new dataset (the pool is left alone) and the same subset for the same seed.
/// </summary>
public static class FewImages
{
    /// <summary><paramref name="n"/> images of <paramref name="pool"/> drawn by <paramref name="sampling"/> with <paramref name="seed"/>, in pool order.</summary>
    public static ImageDataset Sample(ImageDataset pool, int n, FewImageSampling sampling, long seed)
    {
        var indices = Indices(pool, n, sampling, seed);
        var what = sampling switch
        {
            FewImageSampling.First => $"first {n}",
            FewImageSampling.Random => $"random {n}, seed {seed}",
            FewImageSampling.OneClass => $"{n} of class {pool.ClassNames[ClassOf(pool.NumClasses, seed)]}, seed {seed}",
            _ => $"{n}, one per class in turn, seed {seed}",
        };
        return pool.Select(indices, $"{pool.Name}[{what}]");
    }

    /// <summary>One image drawn at random: the "one image" of the paper, a different one per seed.</summary>
    public static ImageDataset One(ImageDataset pool, long seed) => Sample(pool, 1, FewImageSampling.Random, seed);

    /// <summary>
    /// The pool indices <see cref="Sample"/> selects, sorted (recorded by a run so a reader can see which images it used).
    /// <see cref="FewImageSampling.OneClass"/> throws when the seed's class has fewer than n images.
    /// </summary>
    public static long[] Indices(ImageDataset pool, int n, FewImageSampling sampling, long seed)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (n < 1 || n > pool.Count)
            throw new ArgumentOutOfRangeException(nameof(n), $"cannot draw {n} of the {pool.Count} images of {pool.Name}");
        var chosen = sampling switch
        {
            FewImageSampling.First => Enumerable.Range(0, n).Select(i => (long)i).ToArray(),
            FewImageSampling.Random => ImageDataset.Permutation(pool.Count, seed)[..n],
            FewImageSampling.OneClass => OneClassIndices(pool, n, ClassOf(pool.NumClasses, seed), seed),
            FewImageSampling.OnePerClass => OnePerClassIndices(pool, n, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(sampling), $"unknown sampling {sampling}"),
        };
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>The class <see cref="FewImageSampling.OneClass"/> uses for a seed: the first of a seeded permutation of the classes.</summary>
    public static int ClassOf(int numClasses, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        return (int)ImageDataset.Permutation(numClasses, seed)[0];
    }

    /// <summary><paramref name="n"/> images of class <paramref name="classIndex"/>, drawn at random (seeded); throws when the class has fewer.</summary>
    static long[] OneClassIndices(ImageDataset pool, int n, int classIndex, long seed)
    {
        var have = pool.ClassCounts()[classIndex];
        if (n > have)
            throw new ArgumentOutOfRangeException(nameof(n), $"class {classIndex} ({pool.ClassNames[classIndex]}) of {pool.Name} has {have} images; cannot draw {n}");
        var labels = pool.LabelArray();
        return ImageDataset.Permutation(pool.Count, seed).Where(i => labels[i] == classIndex).Take(n).ToArray();
    }

    /// <summary>
    /// One image of each class in turn, so the classes are as balanced as n allows (n = 1,000 over 10 classes: 100
    /// each; n = 15: classes 0–4 get two). A class that runs out is skipped. Each class's images come in a seeded order.
    /// </summary>
    static long[] OnePerClassIndices(ImageDataset pool, int n, long seed)
    {
        var labels = pool.LabelArray();
        var queues = Enumerable.Range(0, pool.NumClasses).Select(_ => new Queue<long>()).ToArray();
        foreach (var i in ImageDataset.Permutation(pool.Count, seed)) queues[labels[i]].Enqueue(i);
        var chosen = new List<long>(n);
        while (chosen.Count < n)
            foreach (var q in queues)
                if (chosen.Count < n && q.Count > 0) chosen.Add(q.Dequeue());
        return chosen.ToArray();
    }
}
