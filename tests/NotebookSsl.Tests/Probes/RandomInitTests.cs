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

    [Fact]
    public void Compare_scores_each_probe_on_both_encoders_and_disposes_the_random_one()
    {
        using var pretrained = RandomInit.Encoder(Tiny, 1);
        var scored = new List<VisionTransformer>();
        var reported = new List<ProbeComparison>();
        var result = RandomInit.Compare(pretrained, seed: 7,
            [("one", e => { scored.Add(e); return e == pretrained ? 0.9 : 0.1; }), ("two", e => { scored.Add(e); return e == pretrained ? 0.8 : 0.2; })],
            reported.Add);

        Assert.Equal([new ProbeComparison("one", 0.9, 0.1), new ProbeComparison("two", 0.8, 0.2)], result);
        Assert.Equal(result, reported);
        Assert.Equal(4, scored.Count);
        Assert.Same(pretrained, scored[0]);
        Assert.Same(scored[1], scored[3]);                       // one random encoder for every probe
        Assert.NotSame(pretrained, scored[1]);
        using var expected = RandomInit.Encoder(Tiny, 7);         // it was built from the seed
        Assert.Equal(Tiny, scored[1].Config);
        Assert.ThrowsAny<Exception>(() => scored[1].parameters().First().sum().item<float>()); // disposed after use
        Assert.Equal(expected.parameters().Count(), pretrained.parameters().Count());
    }
}
