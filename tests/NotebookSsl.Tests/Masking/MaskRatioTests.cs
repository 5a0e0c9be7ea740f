using NotebookSsl.Masking;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;

namespace NotebookSsl.Tests.Masking;

public class MaskRatioTests
{
    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(-0.1, "negative")]
    [InlineData(1.0, "removes every patch")]
    [InlineData(1.5, "above 1")]
    public void Each_ratio_out_of_range_gets_its_own_message(double ratio, string words)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => RandomMasking.KeepCount(49, ratio));
        Assert.Contains(words, e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaeConfig { MaskRatio = ratio }.Validate());
    }

    [Fact]
    public void The_messages_differ()
    {
        var messages = new[] { double.NaN, -0.1, 1.0, 1.5, 0.99 }
            .Select(r => Assert.Throws<ArgumentOutOfRangeException>(() => RandomMasking.KeepCount(49, r)).Message.Split('\n')[0]).ToList();
        Assert.Equal(messages.Count, messages.Distinct().Count());
    }

    [Fact]
    public void An_mae_refuses_a_ratio_that_removes_no_patch_because_its_loss_would_be_0_over_0()
    {
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new MaeConfig { MaskRatio = 0 }.Validate());
        Assert.Contains("ratio of 0 removes no patch", zero.Message);
        Assert.Contains("0/0", zero.Message);
        // int(49 · (1 − 1e-17)) = 49 kept: 1 − 1e-17 is 1.0 in double (0.005 now removes one: int(48.755) = 48 kept)
        var tiny = Assert.Throws<ArgumentOutOfRangeException>(() => new MaeConfig { MaskRatio = 1e-17 }.Validate());
        Assert.Contains("removes no patch of 49", tiny.Message);
        Assert.Equal(49, RandomMasking.KeepCount(49, 0));   // masking itself may keep everything (e.g. a method's unmasked view)
        new MaeConfig { MaskRatio = 0.005 }.Validate();      // removes one patch (truncation, as models_mae.py): fine
    }
}
