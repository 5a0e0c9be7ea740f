using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Cli;

/// <summary>`nbssl findings`: writes notebooks/results/FINDINGS.md from the quick results and shared/EXPERIMENTS.md.</summary>
static class FindingsCommand
{
    public const string Usage = """
  nbssl findings [--experiments FILE] [--out FILE] [--check]
      Builds notebooks/results/FINDINGS.md: one row per experiment of ../shared/EXPERIMENTS.md (from the
      repository root) with the paper's finding, ours from every notebooks/results/*-quick.json, and a
      verdict. --check writes nothing and exits 1 when the page on disk differs from the generated one.
""";

    public static int Run(string[] args)
    {
        string root = NotebookSsl.Runs.RepositoryRoot.OrCurrentFolder();
        string experiments = FindingsPage.DefaultExperimentsPath(root), output = FindingsPage.DefaultPagePath(root);
        bool check = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--experiments": experiments = Value(); break;
                case "--out" or "-o": output = Value(); break;
                case "--check": check = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (known: --experiments, --out, --check)");
            }
        }
        var page = FindingsPage.Generate(root, experiments);
        if (check)
        {
            bool same = File.Exists(output) && File.ReadAllText(output) == page;
            Console.WriteLine(same ? $"{output} is up to date" : $"{output} differs from what `nbssl findings` generates");
            return same ? 0 : 1;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output + ".tmp", page);
        File.Move(output + ".tmp", output, overwrite: true);
        Console.WriteLine($"wrote {output}");
        return 0;
    }
}
