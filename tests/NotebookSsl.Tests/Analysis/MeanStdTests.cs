using NotebookSsl.Analysis;

namespace NotebookSsl.Tests.Analysis;

public class MeanStdTests
{
    [Fact]
    public void Mean_and_sample_std()
    {
        var m = MeanStd.Of([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, m.Mean, 12);
        Assert.Equal(1.0, m.Std, 12);
        Assert.Equal("2.0 ± 1.0", m.Format("F1"));
        Assert.Equal("50.0", MeanStd.Of([0.5]).Format("F1", 100));
        Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
    }
}
