using System.CommandLine;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl convert X.dib [--out X.ipynb]` and `nbssl convert --check notebooks/`.</summary>
static class ConvertCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path")
        {
            Description = "a .dib (written as .ipynb without outputs) or an .ipynb (written as .dib); with --check, a folder",
        };
        var output = new Option<string?>("--out", "-o") { Description = "where to write (default: beside it, other extension)" };
        OptionValues.FileToWrite(output);
        var check = new Option<bool>("--check")
        {
            Description = "write nothing; exit 1 listing every .ipynb under the folder that differs from its converted .dib (outputs of a published run are ignored)",
        };
        var command = new Command("convert", "Converts a notebook's .dib source to the committed .ipynb (outputs stripped, nbssl kernelspec, F# cells marked #!fsharp), or back; --check verifies a folder.")
        {
            path, output, check,
        };
        command.SetAction(parsed => parsed.GetValue(check)
            ? Check(parsed.GetValue(path)!, parsed.GetValue(output))
            : Convert(parsed.GetValue(path)!, parsed.GetValue(output)));
        return command;
    }

    static int Convert(string path, string? output)
    {
        if (Directory.Exists(path)) throw new UsageException($"{path} is a folder: convert takes one notebook (or --check FOLDER)");
        var written = NotebookConversion.Convert(path, output);
        Console.WriteLine($"nbssl: {path} -> {written.Path}{(written.Note is null ? "" : ": " + written.Note)}");
        return 0;
    }

    static int Check(string folder, string? output)
    {
        if (output is not null) throw new UsageException("--check writes nothing; drop --out");
        if (!Directory.Exists(folder)) throw new UsageException($"--check takes a folder; {folder} is not one");
        var stale = NotebookConversion.Stale(folder);
        if (stale.Count == 0)
        {
            Console.WriteLine($"nbssl: every .ipynb under {folder} matches its .dib");
            return 0;
        }
        foreach (var s in stale) Console.WriteLine($"{Path.Combine(folder, s)}: differs from its .dib (run: nbssl convert {Path.Combine(folder, Path.ChangeExtension(s, ".dib"))})");
        Console.WriteLine($"nbssl: {stale.Count} notebook(s) out of date");
        return 1;
    }
}
