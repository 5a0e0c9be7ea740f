using NotebookSsl.Methods.Mae.Decoders;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.Mae;

public class WeightedAverageTests
{
    /// <summary>The [L, L] averaging matrix equals the border-renormalised Gaussian convolution it replaces.</summary>
    [Theory]
    [InlineData(7, 5, 1.0)]
    [InlineData(4, 3, 0.7)]
    public void The_averaging_matrix_is_the_renormalised_convolution(int g, int k, double sigma)
    {
        using var scope = NewDisposeScope();
        var kernel = WeightedAverageDecoder.GaussianKernel(k, sigma);                              // [1, 1, k, k]
        var grid = randn(3, 6, g, g, generator: new Generator(2));                                // [N, D, g, g]
        long pad = k / 2;
        var summed = nn.functional.conv2d(grid.reshape(18, 1, g, g), kernel, padding: new[] { pad, pad }); // [N·D, 1, g, g]
        var norm = nn.functional.conv2d(ones(1, 1, g, g), kernel, padding: new[] { pad, pad });             // [1, 1, g, g]
        var expected = (summed / norm).reshape(3, 6, g * g).transpose(1, 2);                      // [N, L, D]

        var matrix = WeightedAverageDecoder.AveragingMatrix(kernel, g);                            // [L, L]
        var actual = matrix.matmul(grid.reshape(3, 6, g * g).transpose(1, 2));                     // [N, L, D]
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.True(matrix.sum(1L).sub(1).abs().max().item<float>() < 1e-6);
    }
}
