using NotebookSsl.Analysis;
using static TorchSharp.torch;
using static NotebookSsl.Tests.Analysis.AnalysisTestData;

namespace NotebookSsl.Tests.Analysis;

public class PsnrTests
{
    [Fact]
    public void IdenticalImagesGivePositiveInfinity()
    {
        using var scope = NewDisposeScope();
        var x = Uniform(new Random(1), 3, 1, 8, 8);
        Assert.All(Psnr.PerImage(x, x), v => Assert.Equal(double.PositiveInfinity, v));
        Assert.Equal(double.PositiveInfinity, Psnr.Mean(x, x));
    }

    [Fact]
    public void KnownMseGivesKnownValue()
    {
        using var scope = NewDisposeScope();
        var rng = new Random(2);
        var target = Uniform(rng, 2, 3, 4, 4);
        var noise = Normal(rng, 2, 3, 4, 4) * 0.1f;
        var prediction = target + noise;
        var n = ToDoubles(noise);
        int perImage = n.Length / 2;
        for (int i = 0; i < 2; i++)
        {
            double mse = n.Skip(i * perImage).Take(perImage).Select(v => v * v).Average();
            Assert.Equal(10 * Math.Log10(1.0 / mse), Psnr.PerImage(prediction, target)[i], 4);
            Assert.Equal(10 * Math.Log10(255.0 * 255.0 / mse), Psnr.PerImage(prediction, target, 255)[i], 4);
        }
        // A constant error of e on [0, 1] data: MSE = e², PSNR = -20 log10(e).
        Assert.Equal(-20 * Math.Log10(0.25), Psnr.Mean(target + 0.25f, target), 4);
    }

    [Fact]
    public void MaskedVariantScoresMaskedPatchesOnly()
    {
        using var scope = NewDisposeScope();
        var target = Uniform(new Random(3), 2, 1, 4, 4); // [N, C, H, W], 2x2 patches of 2 px
        var prediction = target.clone();
        prediction[0, 0, 0..2, 0..2] += 0.5f;          // image 0: error in patch 0 only
        prediction[1, 0, 2..4, 2..4] += 0.1f;          // image 1: error in patch 3 only
        var mask = tensor(new float[,] { { 1, 0, 0, 1 }, { 0, 1, 1, 0 } }); // [N, L], 1 = masked

        var masked = Psnr.MaskedPerImage(prediction, target, mask, patchSize: 2);
        // image 0: masked patches 0 and 3 (8 px), error 0.5 on 4 of them -> MSE = 0.25 * 4 / 8.
        Assert.Equal(Psnr.FromMse(0.25 * 4 / 8), masked[0], 4);
        // image 1: the error lies in an unmasked patch.
        Assert.Equal(double.PositiveInfinity, masked[1]);
        // Unmasked PSNR of image 0 sees the error over all 16 pixels.
        Assert.Equal(Psnr.FromMse(0.25 * 4 / 16), Psnr.PerImage(prediction, target)[0], 4);
    }

    [Fact]
    public void ImagesWithNothingMaskedAreSkippedInTheMean()
    {
        using var scope = NewDisposeScope();
        var target = zeros(2, 1, 4, 4);
        var prediction = full(new long[] { 2, 1, 4, 4 }, 0.1f);
        var mask = tensor(new float[,] { { 0, 0, 0, 0 }, { 1, 1, 0, 0 } });
        var perImage = Psnr.MaskedPerImage(prediction, target, mask, 2);
        Assert.True(double.IsNaN(perImage[0]));
        Assert.Equal(Psnr.FromMse(0.01), Psnr.MaskedMean(prediction, target, mask, 2), 4);
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 1, 4, 4);
        var e1 = Assert.Throws<ArgumentException>(() => Psnr.PerImage(x, zeros(2, 1, 4, 5)));
        Assert.Contains("differ in shape", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Psnr.MaskedPerImage(x, x, zeros(2, 3), 2));
        Assert.Contains("[2, 4]", e2.Message);
        Assert.Throws<ArgumentException>(() => Psnr.MaskedPerImage(x, x, zeros(2, 4), 3));
        Assert.Throws<ArgumentException>(() => Psnr.MaskedPerImage(x, x, full(new long[] { 2, 4 }, 2f), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Psnr.PerImage(x, x, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Psnr.FromMse(-1));
    }
}
