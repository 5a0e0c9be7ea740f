namespace NotebookSsl.Runs;

/// <summary>The three sizes every notebook offers (see shared/EXPERIMENTS.md).</summary>
public enum RunSize
{
    /// <summary>Seconds: proves every step runs (CI).</summary>
    Smoke,
    /// <summary>Minutes on a 2-core CPU: big enough for a finding to show.</summary>
    Quick,
    /// <summary>The paper's recipe scaled to one GPU: hours.</summary>
    Full,
}

public static class RunSizes
{
    /// <summary>Parses "smoke", "quick" or "full" (any case); other words are an error that lists the choices.</summary>
    public static RunSize Parse(string size) => size.Trim().ToLowerInvariant() switch
    {
        "smoke" => RunSize.Smoke,
        "quick" => RunSize.Quick,
        "full" => RunSize.Full,
        _ => throw new ArgumentException($"Unknown size '{size}': use smoke, quick or full."),
    };
}
