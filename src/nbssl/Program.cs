using System.CommandLine;
using NotebookSsl.Cli.Commands;

namespace NotebookSsl.Cli;

/// <summary>
/// nbssl: runs C#/F# Polyglot notebooks (.ipynb, .dib) headless and writes the executed notebook and an
/// HTML report; converts .dib sources to the committed .ipynb; pretrains and benchmarks the main job.
/// Each command is one file in Commands/ exposing a System.CommandLine <see cref="Command"/>; add it here.
/// </summary>
internal static class Program
{
    /// <summary>Exit code for bad usage: an unknown option, a value of the wrong type, a missing file.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code for work that failed: a notebook that failed, an input file that cannot be read, an output folder in use.</summary>
    public const int FailureExitCode = 1;

    internal static RootCommand Build()
    {
        var root = new RootCommand("nbssl: runs C#/F# notebooks headless (executed .ipynb + HTML report), converts .dib sources, pretrains and benchmarks the MAE.")
        {
            RunCommand.Create(),
            PublishCommand.Create(),
            ConvertCommand.Create(),
            PretrainCommand.Create(),
            BenchCommand.Create(),
            FindingsCommand.Create(),
            WorkerCommand.Create(),
            KernelCommand.Create(),
        };
        OptionValues.Guard(root);
        return root;
    }

    public static int Main(string[] args) => Invoke(Build(), args, Console.Out, Console.Error);

    /// <summary>
    /// Parses and runs: a parse error is one line on stderr and exit code 2 (no stack trace, no help dump);
    /// so is an ArgumentException or a missing file thrown by a command before it does any work.
    /// </summary>
    internal static int Invoke(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var names = new List<string>();   // the command's path below the root: "kernel install"
            for (var c = parsed.CommandResult; c is not null && c.Command != root; c = c.Parent as System.CommandLine.Parsing.CommandResult)
                names.Insert(0, c.Command.Name);
            var help = names.Count == 0 ? "nbssl --help" : $"nbssl {string.Join(' ', names)} --help";
            // the most telling error first: an unknown word says more than the "command missing" it causes
            // and an option's own message ("--steps takes a whole number, got 'abc'") more than the library's for the same value
            var first = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized"))
                        ?? parsed.Errors.FirstOrDefault(e => e.SymbolResult is System.CommandLine.Parsing.OptionResult o && (e.Message.StartsWith(o.Option.Name + " ") || e.Message.StartsWith(o.Option.Name + ":")))
                        ?? parsed.Errors[0];
            var message = System.Text.RegularExpressions.Regex.Replace(first.Message, @"\s*\n\s*", " ");
            stderr.WriteLine($"nbssl: {message} (see {help})");
            return UsageExitCode;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nbssl: {e.Message}");
            return UsageExitCode;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)   // InvalidDataException is no IOException
        {
            // an input file the command could not use (a results file, a notebook that is not UTF-8), or a file it
            // could not write: the message names it; a stack trace would not help the user
            stderr.WriteLine($"nbssl: {e.Message}");
            return FailureExitCode;
        }
    }
}

/// <summary>Bad input found by a command itself (after parsing): one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
