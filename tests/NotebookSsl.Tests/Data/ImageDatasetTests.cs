using NotebookSsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class ImageDatasetTests
{
    /// <summary>60 random 1x4x4 images; image i has label i % 3 except that class 2 gets only 12 images.</summary>
    static ImageDataset Make(int n = 60)
    {
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % 5 == 4 ? 2 : i % 2)).ToArray();
        using var g = new Generator(99);
        using var scope = NewDisposeScope();
        var x = rand([n, 1, 4, 4], generator: g);
        return new ImageDataset(x, tensor(labels), ["a", "b", "c"], "toy");
    }

    /// <summary>Identifies images by their content (the first pixel is unique with probability ~1).</summary>
    static float[] Keys(ImageDataset d) => d.Images[.., 0, 0, 0].data<float>().ToArray();

    [Fact]
    public void Constructor_validates_shapes_and_labels()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new ImageDataset(zeros(2, 4, 4), zeros(2, ScalarType.Int64), ["a"], "x"));
        Assert.Throws<ArgumentException>(() => new ImageDataset(zeros(2, 2, 4, 4), zeros(2, ScalarType.Int64), ["a"], "x"));
        Assert.Throws<ArgumentException>(() => new ImageDataset(zeros(2, 1, 4, 4), zeros(3, ScalarType.Int64), ["a"], "x"));
        var e = Assert.Throws<ArgumentException>(() => new ImageDataset(zeros(2, 1, 4, 4), tensor(new long[] { 0, 2 }), ["a", "b"], "x"));
        Assert.Contains("2 classes", e.Message);
    }

    [Fact]
    public void Dataset_outlives_the_dispose_scope_it_was_made_in()
    {
        ImageDataset ds;
        using (NewDisposeScope()) ds = Make();
        using (ds)
        {
            Assert.Equal(60, ds.Count);
            Assert.Equal(1, ds.Channels);
            Assert.Equal(4, ds.ImageSize);
            Assert.True(ds.Images.sum().ToSingle() > 0);
        }
    }

    [Fact]
    public void Dataset_can_be_made_outside_any_dispose_scope()
    {
        using var ds = new ImageDataset(ones(3, 1, 2, 2), tensor(new long[] { 0, 1, 0 }), ["a", "b"], "no scope");
        Assert.Equal(new[] { 2, 1 }, ds.ClassCounts());
        Assert.Equal(12f, ds.Images.sum().ToSingle());
    }

    [Fact]
    public void Take_and_OfClass_select_the_right_images()
    {
        using var ds = Make();
        using var first = ds.Take(7);
        Assert.Equal(Keys(ds)[..7], Keys(first));
        using var c2 = ds.OfClass(2);
        Assert.Equal(12, c2.Count);
        Assert.All(c2.LabelArray(), l => Assert.Equal(2, l));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.OfClass(3));
    }

    [Fact]
    public void Random_subsets_repeat_for_a_seed_and_differ_across_seeds()
    {
        using var ds = Make();
        using var a = ds.RandomSubset(10, seed: 1);
        using var b = ds.RandomSubset(10, seed: 1);
        using var c = ds.RandomSubset(10, seed: 2);
        Assert.Equal(Keys(a), Keys(b));
        Assert.NotEqual(Keys(a), Keys(c));
        Assert.Equal(10, Keys(a).Distinct().Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.RandomSubset(61, 0));
    }

    [Fact]
    public void PerClass_gives_exactly_n_per_class_repeatably()
    {
        using var ds = Make();
        using var a = ds.PerClass(5, seed: 3);
        using var b = ds.PerClass(5, seed: 3);
        using var c = ds.PerClass(5, seed: 4);
        Assert.Equal(new[] { 5, 5, 5 }, a.ClassCounts());
        Assert.Equal(Keys(a), Keys(b));
        Assert.NotEqual(Keys(a), Keys(c));
        var e = Assert.Throws<ArgumentException>(() => ds.PerClass(13, 0));
        Assert.Contains("class 2", e.Message);
    }

    [Fact]
    public void Split_partitions_the_dataset()
    {
        using var ds = Make();
        var (train, held) = ds.Split(0.25, seed: 5);
        using (train)
        using (held)
        {
            Assert.Equal(45, train.Count);
            Assert.Equal(15, held.Count);
            var all = Keys(train).Concat(Keys(held)).Order().ToArray();
            Assert.Equal(Keys(ds).Order().ToArray(), all);
            var (train2, held2) = ds.Split(15, seed: 5);
            using (train2) using (held2) Assert.Equal(Keys(held), Keys(held2));
        }
    }

    [Fact]
    public void Batches_cover_the_dataset_and_shuffle_repeatably()
    {
        using var ds = Make();
        using var scope = NewDisposeScope();
        var plain = ds.Batches(16).ToList();
        Assert.Equal(new long[] { 16, 16, 16, 12 }, plain.Select(b => b.Images.shape[0]).ToArray());
        Assert.Equal(Keys(ds), plain.SelectMany(b => b.Images[.., 0, 0, 0].data<float>().ToArray()).ToArray());
        Assert.Equal(ds.LabelArray(), plain.SelectMany(b => b.Labels.data<long>().ToArray()).ToArray());

        Assert.Equal(3, ds.Batches(16, dropLast: true).Count());
        var onCpu = ds.Batches(16, device: CPU).First();
        Assert.True(onCpu.Images.Same(plain[0].Images));
        float[] Order(long seed) => ds.Batches(16, shuffle: true, seed: seed)
            .SelectMany(b => b.Images[.., 0, 0, 0].data<float>().ToArray()).ToArray();
        var s1 = Order(1);
        Assert.Equal(s1, Order(1));
        Assert.NotEqual(s1, Order(2));
        Assert.NotEqual(Keys(ds), s1);
        Assert.Equal(Keys(ds).Order().ToArray(), s1.Order().ToArray());
    }

    [Fact]
    public void Channel_stats_normalise_to_zero_mean_unit_std()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var x = rand([20, 3, 5, 5], generator: g) * tensor(new[] { 1f, 0.5f, 0.2f }).view(1, 3, 1, 1);
        using var ds = new ImageDataset(x.clone(), zeros(20, ScalarType.Int64), ["only"], "rgb");
        var stats = ds.ComputeChannelStats();
        Assert.Equal(3, stats.Channels);
        Assert.True(stats.Mean[0] > stats.Mean[1] && stats.Mean[1] > stats.Mean[2]);
        var z = stats.Normalize(ds.Images);
        var m = z.mean([0, 2, 3]).data<float>().ToArray();
        var s = z.std([0, 2, 3], unbiased: false).data<float>().ToArray();
        Assert.All(m, v => Assert.InRange(v, -1e-4f, 1e-4f));
        Assert.All(s, v => Assert.InRange(v, 1 - 1e-4f, 1 + 1e-4f));
        Assert.True(stats.Denormalize(z).allclose(ds.Images, rtol: 1e-5, atol: 1e-5));
        Assert.Throws<ArgumentException>(() => stats.Normalize(zeros(2, 1, 5, 5)));
    }
}
