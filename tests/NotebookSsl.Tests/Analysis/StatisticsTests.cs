using NotebookSsl.Analysis;

namespace NotebookSsl.Tests.Analysis;

public class StatisticsTests
{
    [Fact]
    public void Ranks_share_ties()
    {
        Assert.Equal([1.5, 0, 1.5, 3], Statistics.Ranks([2.0, 1, 2, 5]));
    }

    [Fact]
    public void Spearman_is_one_for_any_increasing_relation_and_minus_one_for_a_decreasing_one()
    {
        Assert.Equal(1.0, Statistics.Spearman([0.3, 0.45, 0.6, 0.9], [1, 8, 27, 1000]), 12);
        Assert.Equal(-1.0, Statistics.Spearman([0.3, 0.45, 0.6, 0.9], [5, 4, 2, -3]), 12);
    }

    [Fact]
    public void Pearson_matches_a_hand_computed_case()
    {
        // x = 1,2,3; y = 1,3,2: cov = (−1·−1 + 0 + 1·0) = 1; var = 2 and 2 → r = 0.5
        Assert.Equal(0.5, Statistics.Pearson([1.0, 2, 3], [1.0, 3, 2]), 12);
    }

    [Fact]
    public void Series_of_different_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Statistics.Spearman([1.0, 2], [1.0, 2, 3]));
        Assert.Throws<ArgumentException>(() => Statistics.Pearson([1.0], [1.0]));
    }
}
