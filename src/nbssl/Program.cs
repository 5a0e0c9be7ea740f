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

    internal static RootCommand Build() => new("nbssl: runs C#/F# notebooks headless (executed .ipynb + HTML report), converts .dib sources, pretrains and benchmarks the MAE.")
    {
        RunCommand.Create(),
        ConvertCommand.Create(),
        PretrainCommand.Create(),
        BenchCommand.Create(),
        FindingsCommand.Create(),
        WorkerCommand.Create(),
        KernelCommand.Create(),
    };

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
            var command = parsed.CommandResult.Command;
            var help = command == root ? "nbssl --help" : $"nbssl {command.Name} --help";
            // the most telling error first: an unknown word says more than the "command missing" it causes
            var first = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized")) ?? parsed.Errors[0];
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
    }
}

/// <summary>Bad input found by a command itself (after parsing): one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
