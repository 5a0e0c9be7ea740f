namespace NotebookSsl.Notebooks.Tests;

/// <summary>`nbssl pretrain` and `nbssl bench` refuse bad input before any training.</summary>
public class TrainCommandTests
{
    [Fact]
    public void Pretrain_refuses_an_out_path_that_is_a_file_before_training()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var file = Path.Combine(dir, "taken");
            File.WriteAllText(file, "");
            var (code, log) = Nbssl.Run("pretrain", "--size", "smoke", "--out", file);
            Assert.Equal(2, code);
            Assert.Contains($"{file} is a file", log);
            Assert.DoesNotContain("pretrain epoch", log);
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void Bench_refuses_zero_timed_steps()
    {
        var (code, log) = Nbssl.Run("bench", "--config", "smoke", "--steps", "0");
        Assert.Equal(2, code);
        Assert.Contains("at least 1", log);
        Assert.DoesNotContain("   at ", log);   // a message, not a stack trace
    }
}
