using System.CommandLine;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl findings`: writes notebooks/results/FINDINGS.md from the quick results and shared/EXPERIMENTS.md.</summary>
static class FindingsCommand
{
    public static Command Create()
    {
        var experiments = new Option<string?>("--experiments") { Description = "EXPERIMENTS.md (default: ../shared/EXPERIMENTS.md from the repository root, or the first shared/EXPERIMENTS.md above it)" };
        var output = new Option<string?>("--out", "-o") { Description = "the page (default: notebooks/results/FINDINGS.md)" };
        OptionValues.FileToWrite(output);
        var check = new Option<bool>("--check") { Description = "write nothing; exit 1 when the page on disk differs from the generated one" };
        var command = new Command("findings",
            "Builds notebooks/results/FINDINGS.md: one row per experiment of EXPERIMENTS.md, the paper's finding, ours from every notebooks/results/*-quick.json, and a verdict by a stated rule.")
            { experiments, output, check };
        command.SetAction(parsed => Run(parsed.GetValue(experiments), parsed.GetValue(output), parsed.GetValue(check)));
        return command;
    }

    static int Run(string? experiments, string? output, bool check)
    {
        string root = RepositoryRoot.OrCurrentFolder();
        experiments ??= FindingsPage.DefaultExperimentsPath(root);
        output ??= FindingsPage.DefaultPagePath(root);
        var page = FindingsPage.Generate(root, experiments);
        if (check)
        {
            bool same = File.Exists(output) && File.ReadAllText(output) == page;
            Console.WriteLine(same ? $"{output} is up to date" : $"{output} differs from what `nbssl findings` generates");
            return same ? 0 : 1;
        }
        AtomicFile.WriteAllText(output, page);
        Console.WriteLine($"wrote {output}");
        return 0;
    }
}
