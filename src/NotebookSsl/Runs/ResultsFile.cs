namespace NotebookSsl.Runs;

/// <summary>Where a notebook writes its results JSON (the file the findings page reads).</summary>
public static class ResultsFile
{
    /// <summary>
    /// <c>notebooks/results/{notebook}-{size}.json</c> at the repository root (or under the current folder);
    /// for <see cref="RunSize.Smoke"/> a file in the temporary folder: a smoke run checks the code path and
    /// leaves the repository alone. In a helper process of <c>nbssl run --parallel</c>, a temporary file too.
    /// </summary>
    public static string PathFor(string notebook, RunSize size)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(notebook);
        var file = $"{notebook}-{size.ToString().ToLowerInvariant()}.json";
        // a helper process (nbssl run --parallel) only fills the run store: process 0 writes the results
        if (ParallelRuns.IsHelper) return Path.Combine(Path.GetTempPath(), $"nbssl-helper-{Environment.ProcessId}-{file}");
        return size == RunSize.Smoke
            ? Path.Combine(Path.GetTempPath(), file)
            : Path.Combine(RepositoryRoot.OrCurrentFolder(), "notebooks", "results", file);
    }
}
