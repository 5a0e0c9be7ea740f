using NotebookSsl.Notebooks.Running;

namespace NotebookSsl.Cli;

/// <summary>
/// nbssl: runs C#/F# Polyglot notebooks (.ipynb, .dib) headless and writes the executed notebook and an
/// HTML report. Each notebook runs in its own worker process (`nbssl worker`), so a native abort in one
/// cell is recorded instead of taking the runner down.
/// </summary>
public static class Program
{
    const string Usage = """
usage: nbssl run NOTEBOOK... [--param name=value]... [--out DIR]

  Runs each notebook (.ipynb or .dib, C# and F# cells) in its own process and writes
  DIR/NAME.ipynb (executed) and DIR/NAME.html (report). DIR defaults to out/.
  --param, -p name=value   overrides a parameter of the cell tagged "parameters" (repeatable)
  --out, -o DIR            output folder
  --echo                   also stream cells' console output and displayed values to stderr
  --timeout SECONDS        stop a notebook that runs longer (recorded as the running cell's error)

""" + TrainCommands.Usage + KernelCommand.Usage + """

exit code: 0 when every notebook ran to the end, 1 when a cell failed, 2 on bad usage.
""";

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        try
        {
            return args[0] switch
            {
                "run" => Run(args[1..]),
                "worker" => RunWorker(args[1..]),
                "pretrain" => TrainCommands.Pretrain(args[1..]),
                "bench" => TrainCommands.Bench(args[1..]),
                "kernel" => KernelCommand.Run(args[1..]),
                "--version" => Version(),
                _ => Fail($"unknown command '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"nbssl: {e.Message}");
            return 2;
        }
    }

    static int Version()
    {
        Console.WriteLine(typeof(Program).Assembly.GetName().Version);
        return 0;
    }

    static int Fail(string message)
    {
        Console.Error.WriteLine($"nbssl: {message}\n\n{Usage}");
        return 2;
    }

    static int Run(string[] args)
    {
        var notebooks = new List<string>();
        var parameters = new List<KeyValuePair<string, string>>();
        string outDir = "out";
        bool echo = false;
        TimeSpan? timeout = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--param" or "-p":
                    var kv = Value();
                    var eq = kv.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--param takes name=value, got '{kv}'");
                    parameters.Add(KeyValuePair.Create(kv[..eq].Trim(), kv[(eq + 1)..]));
                    break;
                case "--out" or "-o":
                    outDir = Value();
                    break;
                case "--echo":
                    echo = true;
                    break;
                case "--timeout":
                    var t = Value();
                    if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
                        throw new ArgumentException($"--timeout takes a positive number of seconds, got '{t}'");
                    timeout = TimeSpan.FromSeconds(seconds);
                    break;
                case var a when a.StartsWith("--param=") || a.StartsWith("--out="):
                    var eqAt = a.IndexOf('=');
                    var split = a[..eqAt];
                    var rest = a[(eqAt + 1)..];
                    if (split == "--out") { outDir = rest; break; }
                    var e2 = rest.IndexOf('=');
                    if (e2 <= 0) throw new ArgumentException($"--param takes name=value, got '{rest}'");
                    parameters.Add(KeyValuePair.Create(rest[..e2].Trim(), rest[(e2 + 1)..]));
                    break;
                case var a when a.StartsWith('-'):
                    throw new ArgumentException($"unknown option '{a}'");
                default:
                    notebooks.Add(args[i]);
                    break;
            }
        }
        if (notebooks.Count == 0) return Fail("run needs at least one notebook");
        foreach (var n in notebooks)
            if (!File.Exists(n)) throw new FileNotFoundException($"notebook not found: {n}");

        var options = new RunOptions { Worker = SelfCommand(), OutputDirectory = outDir, Parameters = parameters, Echo = echo, Timeout = timeout };
        int failed = 0;
        foreach (var n in notebooks)
        {
            var result = NotebookRunner.Run(n, options);
            if (!result.Succeeded) failed++;
        }
        if (notebooks.Count > 1) Console.Error.WriteLine($"nbssl: {notebooks.Count - failed} of {notebooks.Count} notebook(s) ran to the end");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>This program again: the apphost, or `dotnet nbssl.dll` when run through dotnet.</summary>
    static WorkerCommand SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(Program).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? new WorkerCommand(process, ["exec", dll])
            : new WorkerCommand(process, []);
    }

    static int RunWorker(string[] args)
    {
        string? plan = null, events = null;
        bool echo = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--plan" && i + 1 < args.Length) plan = args[++i];
            else if (args[i] == "--events" && i + 1 < args.Length) events = args[++i];
            else if (args[i] == "--echo") echo = true;
        }
        if (plan is null || events is null) return Fail("worker needs --plan and --events (it is started by nbssl run)");
        return Worker.Run(plan, events, echo);
    }
}
