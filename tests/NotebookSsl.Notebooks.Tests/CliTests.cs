using NotebookSsl.Cli;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>nbssl's command line (System.CommandLine): parsed in process, nothing runs.</summary>
public sealed class CliTests
{
    static (int Exit, string Out, string Err) Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = Program.Invoke(Program.Build(), args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    static void AssertUsageError((int Exit, string Out, string Err) r, string expected)
    {
        Assert.Equal(2, r.Exit);
        Assert.Contains(expected, r.Err);
        var lines = r.Err.TrimEnd('\n').Split('\n');
        Assert.Single(lines);                       // one line, no help dump
        Assert.DoesNotContain("   at ", r.Err);     // no stack trace
        Assert.StartsWith("nbssl: ", lines[0]);
    }

    [Fact]
    public void Options_take_their_value_after_an_equals_sign_or_a_space()
    {
        foreach (var args in new[] { new[] { "run", "a.ipynb", "--timeout=30", "--param=size=quick", "-o", "x" }, ["run", "a.ipynb", "--timeout", "30", "-p", "size=quick", "--out=x"] })
        {
            var parsed = Program.Build().Parse(args);
            Assert.Empty(parsed.Errors);
            Assert.Equal(30.0, parsed.GetValue<double?>("--timeout"));
            Assert.Equal(["size=quick"], parsed.GetValue<string[]>("--param")!);
            Assert.Equal("x", parsed.GetValue<string>("--out"));
        }
    }

    [Fact]
    public void Bad_values_are_one_line_and_exit_code_two()
    {
        AssertUsageError(Invoke("pretrain", "--seed", "abc"), "abc");
        AssertUsageError(Invoke("pretrain", "--size", "huge"), "huge");
        AssertUsageError(Invoke("pretrain", "--grid", "9"), "Must be one of: '7' '14'");
        AssertUsageError(Invoke("bench", "--steps", "0"), "--steps must be at least 1, got 0");
        AssertUsageError(Invoke("run", "a.ipynb", "--timeout", "-3"), "--timeout takes a positive number of seconds, got '-3'");
        AssertUsageError(Invoke("run", "a.ipynb", "--param", "size"), "--param takes name=value, got 'size'");
        AssertUsageError(Invoke("run", "a.ipynb", "--frobnicate"), "--frobnicate");
        AssertUsageError(Invoke("run"), "Required argument missing for command: 'run'");
        AssertUsageError(Invoke("fly"), "fly");
        AssertUsageError(Invoke(), "command");
        AssertUsageError(Invoke("run", "no-such-notebook.ipynb"), "notebook not found: no-such-notebook.ipynb");
    }

    [Fact]
    public void The_worker_rejects_unknown_arguments()
    {
        AssertUsageError(Invoke("worker", "--plan", "p.json", "--events", "e.jsonl", "--bogus"), "--bogus");
        AssertUsageError(Invoke("worker", "--plan", "p.json"), "--events");
    }

    [Fact]
    public void Help_is_generated_for_every_command_and_the_worker_is_hidden()
    {
        var pretrain = Invoke("pretrain", "--help");
        Assert.Equal(0, pretrain.Exit);
        Assert.Contains("--seed", pretrain.Out);
        Assert.Contains("--size", pretrain.Out);
        Assert.Contains("--grid", pretrain.Out);
        Assert.Empty(pretrain.Err);
        var root = Invoke("--help");
        Assert.Equal(0, root.Exit);
        foreach (var command in new[] { "run", "convert", "pretrain", "bench" }) Assert.Contains(command, root.Out);
        Assert.DoesNotContain("worker", root.Out);
        Assert.Contains("--timeout", Invoke("run", "--help").Out);
    }

    [Fact]
    public void A_bad_seed_through_the_real_process_is_one_line_without_a_stack_trace()
    {
        var (exit, log) = Nbssl.Run("pretrain", "--seed", "abc");
        Assert.Equal(2, exit);
        Assert.Single(log.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", log);
    }
}
