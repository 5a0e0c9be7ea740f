namespace NotebookSsl.Data;

/// <summary>Which half of a dataset with a fixed train/test split.</summary>
public enum DatasetSplit { Train, Test }

/// <summary>Where the repository's <c>data/</c> folder is.</summary>
public static class DataPaths
{
    /// <summary>
    /// The repository's data folder: the first <c>data</c> folder beside a <c>NotebookSsl.sln</c> found walking up from the
    /// current directory or from the application's directory; null when there is none.
    /// </summary>
    public static string? RepoDataDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "NotebookSsl.sln")))
                {
                    var data = Path.Combine(dir.FullName, "data");
                    if (Directory.Exists(data)) return data;
                    break;
                }
            }
        }
        return null;
    }

    /// <summary>A folder in the repository's data folder (which may not exist yet); null when the repository is not found.</summary>
    public static string? RepoData(string name) => RepoDataDir() is { } d ? Path.Combine(d, name) : null;
}
