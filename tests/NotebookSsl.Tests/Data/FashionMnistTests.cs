using NotebookSsl.Data;
using TorchSharp;

namespace NotebookSsl.Tests.Data;

/// <summary>A fact that is skipped when Debian's dataset-fashion-mnist files are not installed.</summary>
public sealed class SystemFashionMnistFactAttribute : FactAttribute
{
    public SystemFashionMnistFactAttribute()
    {
        var (i, l) = FashionMnist.FileStems(DatasetSplit.Train);
        if (!File.Exists(Path.Combine(FashionMnist.SystemFolder, i + ".gz")) || !File.Exists(Path.Combine(FashionMnist.SystemFolder, l + ".gz")))
            Skip = $"Fashion-MNIST is not installed in {FashionMnist.SystemFolder} (apt-get install dataset-fashion-mnist)";
    }
}

public class FashionMnistTests
{
    [SystemFashionMnistFact]
    public void Real_training_set_loads_from_the_system_folder()
    {
        using var ds = FashionMnist.Load(DatasetSplit.Train, root: null);
        Assert.Equal([60000, 1, 28, 28], ds.Images.shape);
        Assert.Equal(10, ds.NumClasses);
        Assert.Equal(28, ds.ImageSize);
        Assert.InRange(ds.Images.min().ToSingle(), 0f, 0f);
        Assert.InRange(ds.Images.max().ToSingle(), 1f, 1f);
        // Fashion-MNIST is balanced: 6,000 training images per class.
        Assert.All(ds.ClassCounts(), c => Assert.Equal(6000, c));
        // The widely quoted statistics of the training set: mean 0.2860, std 0.3530.
        var stats = ds.ComputeChannelStats();
        Assert.InRange(stats.Mean[0], 0.285f, 0.287f);
        Assert.InRange(stats.Std[0], 0.352f, 0.354f);
    }

    [SystemFashionMnistFact]
    public void Real_test_set_is_balanced_and_differs_from_train()
    {
        // Debian recompressed the files, so their MD5s differ from the published ones; check the content instead.
        using var test = FashionMnist.Load(DatasetSplit.Test);
        Assert.Equal([10000, 1, 28, 28], test.Images.shape);
        Assert.All(test.ClassCounts(), c => Assert.Equal(1000, c));
        using var train = FashionMnist.Load(DatasetSplit.Train);
        Assert.False(train.Images[..100].Same(test.Images[..100]));
    }

    [Fact]
    public void Subsets_are_the_first_images_of_each_split()
    {
        using var dir = new TempDir();
        Idx.Write(dir["train-images-idx3-ubyte"], [6, 28, 28], TestFiles.RandomBytes(6 * 28 * 28, seed: 1));
        Idx.Write(dir["train-labels-idx1-ubyte"], [6], [0, 1, 2, 3, 4, 5]);
        Idx.Write(dir["t10k-images-idx3-ubyte"], [3, 28, 28], TestFiles.RandomBytes(3 * 28 * 28, seed: 2));
        Idx.Write(dir["t10k-labels-idx1-ubyte"], [3], [9, 8, 7]);
        var (train, test) = FashionMnist.LoadSubsets(4, 10, dir.Path);   // 10 > the 3 test images: all of them
        using (train) using (test)
        {
            using var fullTrain = FashionMnist.Load(DatasetSplit.Train, dir.Path);
            Assert.Equal(new long[] { 0, 1, 2, 3 }, train.LabelArray());
            Assert.True(train.Images.allclose(fullTrain.Images[..4], 0, 0));
            Assert.Equal(new long[] { 9, 8, 7 }, test.LabelArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => FashionMnist.LoadSubsets(0, 3, dir.Path));
    }

    [Fact]
    public void A_given_folder_is_searched_first()
    {
        using var dir = new TempDir();
        Idx.Write(dir["t10k-images-idx3-ubyte"], [4, 28, 28], TestFiles.RandomBytes(4 * 28 * 28, seed: 3));
        Idx.Write(dir["t10k-labels-idx1-ubyte.gz"], [4], [9, 8, 7, 6]);
        Assert.Equal(dir.Path, FashionMnist.SearchFolders(dir.Path)[0]);
        using var ds = FashionMnist.Load(DatasetSplit.Test, dir.Path);
        Assert.Equal(4, ds.Count);
        Assert.Equal(new long[] { 9, 8, 7, 6 }, ds.LabelArray());
        Assert.Equal("Ankle boot", ds.ClassNames[9]);
    }

    [Fact]
    public void A_corrupt_file_in_the_given_folder_is_reported_not_skipped()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["t10k-images-idx3-ubyte"], [0, 0, 8, 3, 0, 0, 0, 9]);
        Idx.Write(dir["t10k-labels-idx1-ubyte"], [1], [0]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(DatasetSplit.Test, dir.Path));
        Assert.Contains(dir["t10k-images-idx3-ubyte"], e.Message);
    }
}
