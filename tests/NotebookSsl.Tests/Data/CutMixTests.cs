using NotebookSsl.Data;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class CutMixTests
{
    [Fact]
    public void EveryPixelComesFromItsOwnImageOrThePreviousOne()
    {
        using var scope = NewDisposeScope();
        // image i is constant i + 1, so each output pixel says where it came from
        var x = (arange(4, dtype: float32) + 1).view(4, 1, 1, 1).expand(4, 1, 8, 8).contiguous() / 10;
        var mixed = Augment.CutMix(x, new Generator(3));
        for (int i = 0; i < 4; i++)
        {
            var values = mixed[i].unique().Item1.data<float>().ToArray();
            var allowed = new[] { (i + 1) / 10f, ((i + 3) % 4 + 1) / 10f };
            Assert.All(values, v => Assert.Contains(allowed, a => Math.Abs(a - v) < 1e-6));
        }
        Assert.False(mixed.eq(x).all().item<bool>());
    }
}
