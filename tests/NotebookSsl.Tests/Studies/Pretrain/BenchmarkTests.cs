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

public class NotebookBenchmarkTests
{
    [Fact]
    public void The_notebook_benchmark_times_the_step_the_notebooks_train()
    {
        var (mae, batch) = Benchmark.Configs["notebook"];
        Assert.Equal(NotebookSsl.Studies.StudySize.Quick.Mae, mae);
        Assert.Equal(NotebookSsl.Studies.StudySize.Quick.Pretrain.BatchSize, batch);
        var result = Benchmark.Run("notebook", warmupSteps: 1, timedSteps: 3);
        Assert.Equal(batch, result.BatchSize);
        Assert.True(result.ImagesPerSecond > 0);
        Assert.True(result.BestImagesPerSecond >= result.ImagesPerSecond, $"best {result.BestImagesPerSecond} below the median {result.ImagesPerSecond}");
    }
}
