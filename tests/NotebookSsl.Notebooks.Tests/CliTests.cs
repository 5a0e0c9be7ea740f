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

    /// <summary>Every command of the tree with the words that reach it ("kernel install"), the hidden worker too.</summary>
    static IEnumerable<(string[] Path, System.CommandLine.Command Command)> Commands(System.CommandLine.Command command, string[] path)
    {
        if (path.Length > 0) yield return (path, command);
        foreach (var sub in command.Subcommands)
            foreach (var found in Commands(sub, [.. path, sub.Name])) yield return found;
    }

    /// <summary>What a command needs besides the option under test so that only that option can be wrong.</summary>
    static string[] Required(string[] path, System.CommandLine.Option tried) => (string.Join(' ', path) switch
    {
        "run" => ["a.ipynb"],
        "convert" => ["a.dib"],
        "worker" => ["--plan p.json", "--events e.jsonl"],
        "kernel start" => ["--connection-file c.json"],
        _ => Array.Empty<string>(),
    }).Where(a => a.Split(' ')[0] != tried.Name).SelectMany(a => a.Split(' ')).ToArray();

    [Fact]
    public void Every_option_of_every_command_rejects_a_value_that_does_not_parse_in_one_line()
    {
        int checkedOptions = 0;
        foreach (var (path, command) in Commands(Program.Build(), []))
            foreach (var option in command.Options.Where(o => o.ValueType != typeof(bool) && !o.Name.StartsWith("--help") && o.Name != "-?"))
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                // a number that is not one; a word or path left empty (and a word outside a fixed list)
                var bad = type == typeof(string) || type == typeof(string[]) ? new[] { "", "  " } : ["abc", "1e999x"];
                foreach (var value in bad)
                {
                    var args = path.Concat(Required(path, option)).Concat([option.Name, value]).ToArray();
                    var r = Invoke(args);
                    AssertUsageError(r, option.Name);
                    Assert.Contains($"'{value}'", r.Err);
                    checkedOptions++;
                }
            }
        Assert.True(checkedOptions >= 20, $"only {checkedOptions} option values were tried");
    }

    [Fact]
    public void A_bad_number_is_rejected_through_the_real_process_for_every_command_that_takes_one()
    {
        foreach (var args in new[] { new[] { "run", "a.ipynb", "--timeout", "abc" }, ["bench", "--steps", "abc"], ["pretrain", "--seed", "abc"] })
        {
            var (exit, log) = Nbssl.Run(args);
            Assert.Equal(2, exit);
            Assert.Equal($"nbssl: {args[^2]} takes {(args[^2] == "--timeout" ? "a number" : "a whole number")}, got 'abc' (see nbssl {args[0]} --help)", log.TrimEnd('\n'));
        }
    }

    [Fact]
    public void Out_of_range_values_name_the_limit_in_the_units_the_user_typed()
    {
        AssertUsageError(Invoke("run", "a.ipynb", "--timeout", "3000000"), $"--timeout takes at most {int.MaxValue / 1000} seconds");
        AssertUsageError(Invoke("pretrain", "--out", ""), "--out takes a non-empty value, got ''");
        AssertUsageError(Invoke("pretrain", "--seed", "99999999999"), "--seed takes a whole number, got '99999999999'");
    }

    [Fact]
    public void A_file_to_write_that_is_a_folder_and_an_empty_argument_are_named()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            AssertUsageError(Invoke("findings", "--out", dir), $"--out takes a file to write, but {dir} is a folder");
            AssertUsageError(Invoke("convert", "a.dib", "--out", dir), $"--out takes a file to write, but {dir} is a folder");
            AssertUsageError(Invoke("convert", ""), "the path argument takes a non-empty value, got ''");
            AssertUsageError(Invoke("run", " "), "the notebook argument takes a non-empty value, got ' '");
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void Kernel_install_into_a_file_names_the_file()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var file = Path.Combine(dir, "prefix.txt");
            File.WriteAllText(file, "");
            var r = Invoke("kernel", "install", "--prefix", file);
            AssertUsageError(r, $"--prefix takes a folder; {file} is a file");
            Assert.Contains("(see nbssl kernel install --help)", r.Err);
            AssertUsageError(Invoke("kernel", "uninstall", "--prefix", Path.Combine(file, "sub")), $"{file} is a file, not a folder");
        }
        finally { Nbssl.Delete(dir); }
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
