using NotebookSsl.Methods.MocoV3;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods;

public class ContrastiveTests
{
    [Fact]
    public void InfoNceMatchesAHandComputedCase()
    {
        using var scope = NewDisposeScope();
        // q1 = (1, 0), q2 = (0, 1); k1 = (1, 0), k2 = (1, 1)/√2 (norms do not matter: both sides are normalised)
        var q = tensor(new float[] { 2, 0, 0, 3 }, new long[] { 2, 2 });
        var k = tensor(new float[] { 1, 0, 1, 1 }, new long[] { 2, 2 });
        double t = 0.5, c = 1 / Math.Sqrt(2);
        // row 1: logits (1, c)/t, positive column 1; row 2: logits (0, c)/t, positive column 2
        double row1 = -Math.Log(Math.Exp(1 / t) / (Math.Exp(1 / t) + Math.Exp(c / t)));
        double row2 = -Math.Log(Math.Exp(c / t) / (Math.Exp(0) + Math.Exp(c / t)));
        double expected = (row1 + row2) / 2 * 2 * t;   // mean over rows, times 2τ
        Assert.Equal(expected, Contrastive.InfoNce(q, k, t).item<float>(), 5);
    }

    [Fact]
    public void InfoNcePositivesAreOnTheDiagonal()
    {
        using var scope = NewDisposeScope();
        var q = randn(6, 4, generator: new Generator(1));
        var logits = Contrastive.Logits(q, q, 0.2);                     // [1, 6, 6]
        var diagonal = logits[0].diagonal();
        Assert.Equal(1 / 0.2, diagonal.min().item<float>(), 4);        // cos(q_i, q_i) / τ
        Assert.True(logits[0].argmax(1).eq(arange(6)).all().item<bool>()); // each row's largest logit is its own image
        // matching rows gives a lower loss than a shuffled key
        var shuffled = q.roll(1, 0);
        Assert.True(Contrastive.InfoNce(q, q, 0.2).item<float>() < Contrastive.InfoNce(q, shuffled, 0.2).item<float>());
    }

    [Fact]
    public void TokenWiseInfoNceIsTheMeanOfPerTokenLosses()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(2);
        var q = randn(4, 3, 5, generator: g);
        var k = randn(4, 3, 5, generator: g);
        double perToken = Enumerable.Range(0, 3).Select(t => Contrastive.InfoNce(q[.., t], k[.., t], 0.2).item<float>()).Average();
        Assert.Equal(perToken, Contrastive.InfoNce(q, k, 0.2).item<float>(), 5);
    }

    [Fact]
    public void ByolMatchesAHandComputedCase()
    {
        using var scope = NewDisposeScope();
        var q = tensor(new float[] { 1, 0, 0, 2 }, new long[] { 2, 2 });
        var k = tensor(new float[] { 1, 1, 0, -1 }, new long[] { 2, 2 });
        // cos = 1/√2 and −1: (2 − √2 + 4) / 2
        Assert.Equal((2 - Math.Sqrt(2) + 4) / 2, Contrastive.Byol(q, k).item<float>(), 5);
    }

    [Fact]
    public void ShapesAreChecked()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Contrastive.InfoNce(zeros(4, 3), zeros(4, 2), 0.2));
        Assert.Throws<ArgumentException>(() => Contrastive.InfoNce(zeros(1, 3), zeros(1, 3), 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Contrastive.InfoNce(ones(2, 3), ones(2, 3), 0));
    }
}
