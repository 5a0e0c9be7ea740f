using NotebookSsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class CropStreamTests
{
    static CropStream Photo(int size = 16) => CropStream.FromPhoto(SingleImage.ShippedPhotoPath(), CropStream.StrongAugmentation(size));

    [Fact]
    public void The_photo_stream_gives_grey_crops_at_the_encoder_size()
    {
        using var stream = Photo(28);
        Assert.Equal([1, 1, 300, 451], stream.Source.shape);
        using var scope = NewDisposeScope();
        var batch = stream.Batches(8, seed: 0).First();
        Assert.Equal([8, 1, 28, 28], batch.shape);
        Assert.InRange(batch.min().ToSingle(), 0f, 1f);
        Assert.InRange(batch.max().ToSingle(), 0f, 1f);
        Assert.False(batch[0].Same(batch[1]));
    }

    [Fact]
    public void Same_seed_same_crops_different_seed_different_crops()
    {
        using var stream = Photo();
        using var scope = NewDisposeScope();
        var a = stream.Batches(6, seed: 4).Take(3).ToArray();
        var b = stream.Batches(6, seed: 4).Take(3).ToArray();
        var c = stream.Batches(6, seed: 5).Take(3).ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(a[i].Same(b[i]), $"batch {i} differs for the same seed");
            Assert.False(a[i].Same(c[i]), $"batch {i} is the same for another seed");
        }
        Assert.False(a[0].Same(a[1]));   // the stream moves on
        Assert.True(stream.Take(6, 4).Same(a[0]));
    }

    [Fact]
    public void The_stream_is_endless()
    {
        using var scope = NewDisposeScope();
        using var one = new CropStream(rand(1, 1, 8, 8), new ViewAugmentation(8), "one");
        Assert.Equal(500, one.Batches(1, 0).Take(500).Count());
    }

    [Fact]
    public void A_tiny_set_stream_draws_every_image()
    {
        using var scope = NewDisposeScope();
        // three constant images 0.1, 0.5, 0.9: a crop without jitter keeps its source's value
        var x = tensor(new float[] { 0.1f, 0.5f, 0.9f }).view(3, 1, 1, 1).expand(3, 1, 8, 8).contiguous();
        using var stream = new CropStream(x, new ViewAugmentation(4), "three");
        var batch = stream.Take(60, 1);
        var values = batch.mean([1, 2, 3]).data<float>().Select(v => MathF.Round(v, 3)).Distinct().Order().ToArray();
        Assert.Equal([0.1f, 0.5f, 0.9f], values);
    }

    [Fact]
    public void Bad_input_is_rejected()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new CropStream(rand(1, 8, 8), new ViewAugmentation(4), "x"));
        Assert.Throws<ArgumentException>(() => new CropStream(rand(1, 2, 8, 8), new ViewAugmentation(4), "x"));
        using var s = new CropStream(rand(2, 1, 8, 8), new ViewAugmentation(4), "x");
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Batches(0, 0));
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Batches(1, 0));
    }
}
