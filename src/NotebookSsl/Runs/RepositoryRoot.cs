namespace NotebookSsl.Runs;

/// <summary>Where the repository is: the folder holding <c>NotebookSsl.sln</c>.</summary>
public static class RepositoryRoot
{
    /// <summary>
    /// The first folder holding NotebookSsl.sln walking up from the current folder, then from the
    /// application's folder (a test or a notebook worker runs from bin/); null when neither is inside the repository.
    /// </summary>
    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "NotebookSsl.sln"))) return dir.FullName;
        return null;
    }

    /// <summary><see cref="Find"/>, else the current folder.</summary>
    public static string OrCurrentFolder() => Find() ?? Directory.GetCurrentDirectory();
}
