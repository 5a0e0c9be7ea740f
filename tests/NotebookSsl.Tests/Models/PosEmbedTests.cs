using NotebookSsl.Models;

namespace NotebookSsl.Tests.Models;

public class PosEmbedTests
{
    [Theory]
    [InlineData(16, 4)]
    [InlineData(32, 7)]
    public void Equals_the_official_formula(int dim, int g)
    {
        using var pe = PosEmbed.SinCos2D(dim, g, clsToken: true);
        Assert.Equal(new long[] { g * g + 1, dim }, pe.shape);
        var v = pe.data<float>().ToArray();
        for (int j = 0; j < dim; j++) Assert.Equal(0f, v[j]); // the cls row

        // get_2d_sincos_pos_embed: meshgrid(w, h) so grid[0] is the column index; emb = [emb(grid[0]), emb(grid[1])]
        int quarter = dim / 4;
        for (int token = 0; token < g * g; token++)
        {
            int row = token / g, col = token % g;
            for (int half = 0; half < 2; half++)
            {
                double pos = half == 0 ? col : row;
                for (int i = 0; i < quarter; i++)
                {
                    double omega = 1.0 / Math.Pow(10000, i / (dim / 4.0));
                    Assert.InRange(v[(token + 1) * dim + half * dim / 2 + i] - Math.Sin(pos * omega), -1e-6, 1e-6);
                    Assert.InRange(v[(token + 1) * dim + half * dim / 2 + quarter + i] - Math.Cos(pos * omega), -1e-6, 1e-6);
                }
            }
        }
    }

    [Fact]
    public void Width_not_divisible_by_four_is_refused() =>
        Assert.Throws<ArgumentException>(() => PosEmbed.SinCos2D(18, 4, true));
}
