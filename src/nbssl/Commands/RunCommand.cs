using System.CommandLine;
using NotebookSsl.Notebooks.Running;
using WorkerLaunch = NotebookSsl.Notebooks.Running.WorkerCommand;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl run NOTEBOOK...`: each notebook in its own worker process, then DIR/NAME.ipynb and DIR/NAME.html.</summary>
static class RunCommand
{
    /// <summary>The longest --timeout: a timer's limit, int.MaxValue milliseconds, in whole seconds.</summary>
    internal const int MaxTimeoutSeconds = int.MaxValue / 1000;

    public static Command Create()
    {
        var notebooks = new Argument<string[]>("notebook")
        {
            Description = "notebooks to run (.ipynb or .dib, C# and F# cells)",
            Arity = ArgumentArity.OneOrMore,
        };
        notebooks.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.StartsWith('-')) r.AddError($"unknown option '{token.Value}'");
        });
        var param = new Option<string[]>("--param", "-p")
        {
            Description = "name=value: overrides a parameter of the cell tagged \"parameters\" (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        param.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.IndexOf('=') <= 0) r.AddError($"--param takes name=value, got '{token.Value}'");
        });
        var output = new Option<string>("--out", "-o")
        {
            Description = "output folder (notebooks from different folders keep their relative paths under it)",
            DefaultValueFactory = _ => "out",
        };
        var echo = new Option<bool>("--echo") { Description = "also stream cells' console output and displayed values to stderr" };
        var timeout = new Option<double?>("--timeout")
        {
            Description = "seconds; stop a notebook that runs longer (recorded as the running cell's error)",
        };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } s && !(s > 0 && double.IsFinite(s)))
                r.AddError($"--timeout takes a positive number of seconds, got '{r.Tokens.LastOrDefault()?.Value}'");
            else if (r.GetValueOrDefault<double?>() > MaxTimeoutSeconds)   // timers take at most int.MaxValue milliseconds
                r.AddError($"--timeout takes at most {MaxTimeoutSeconds} seconds (24 days), got '{r.Tokens.LastOrDefault()?.Value}'; leave it out for no limit");
        });

        var command = new Command("run", "Runs notebooks headless, each in its own process; writes DIR/NAME.ipynb (executed) and DIR/NAME.html (report). Exit code 0 when every notebook ran to the end, 1 when one failed, 2 on bad usage.")
        {
            notebooks, param, output, echo, timeout,
        };
        command.SetAction(parsed => Run(
            parsed.GetValue(notebooks)!,
            (parsed.GetValue(param) ?? []).Select(p => KeyValuePair.Create(p[..p.IndexOf('=')].Trim(), p[(p.IndexOf('=') + 1)..])).ToList(),
            parsed.GetValue(output)!,
            parsed.GetValue(echo),
            parsed.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(t) : null));
        return command;
    }

    static int Run(string[] notebooks, List<KeyValuePair<string, string>> parameters, string outDir, bool echo, TimeSpan? timeout)
    {
        foreach (var n in notebooks)
            if (!File.Exists(n)) throw new UsageException($"notebook not found: {n}");
        var options = new RunOptions { Worker = SelfCommand(), OutputDirectory = outDir, Parameters = parameters, Echo = echo, Timeout = timeout };
        return NotebookBatch.Run(notebooks, options);
    }

    /// <summary>This program again: the apphost, or `dotnet nbssl.dll` when run through dotnet.</summary>
    internal static WorkerLaunch SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(Program).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? new WorkerLaunch(process, ["exec", dll])
            : new WorkerLaunch(process, []);
    }
}
