using NotebookSsl.Studies.Pretrain;

namespace NotebookSsl.Tests.Studies.Pretrain;

public class BenchmarkTests
{
    [Fact]
    public void Zero_timed_or_warm_up_steps_are_refused_before_any_work()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Benchmark.Run("smoke", timedSteps: 0));
        Assert.Equal("timedSteps", e.ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => Benchmark.Run("smoke", warmupSteps: 0)).ParamName);
    }
}
