using NotebookSsl.Models;
using NotebookSsl.Probes;

namespace NotebookSsl.Tests.Probes;

public class RandomInitTests
{
    static readonly VitConfig Tiny = new() { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 };

    [Fact]
    public void The_same_seed_builds_the_same_random_encoder()
    {
        using var a = RandomInit.Encoder(Tiny, 5);
        using var b = RandomInit.Encoder(Tiny, 5);
        using var c = RandomInit.Encoder(Tiny, 6);
        var (pa, pb, pc) = (a.parameters().First(), b.parameters().First(), c.parameters().First());
        Assert.True(pa.allclose(pb, 0, 0));
        Assert.False(pa.allclose(pc, 0, 0));
    }
}
