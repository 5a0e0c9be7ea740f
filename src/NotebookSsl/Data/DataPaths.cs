using NotebookSsl.Runs;

namespace NotebookSsl.Data;

/// <summary>Which half of a dataset with a fixed train/test split.</summary>
public enum DatasetSplit { Train, Test }

/// <summary>Where the repository's <c>data/</c> folder is.</summary>
internal static class DataPaths
{
    /// <summary>The <c>data</c> folder of the repository (<see cref="RepositoryRoot.Find"/>); null when there is none.</summary>
    public static string? RepoDataDir() =>
        RepositoryRoot.Find() is { } root && Directory.Exists(Path.Combine(root, "data")) ? Path.Combine(root, "data") : null;

    /// <summary>A folder in the repository's data folder (which may not exist yet); null when the repository is not found.</summary>
    public static string? RepoData(string name) => RepoDataDir() is { } d ? Path.Combine(d, name) : null;
}
