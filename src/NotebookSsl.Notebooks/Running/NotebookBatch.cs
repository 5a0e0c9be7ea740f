using NotebookSsl.Runs;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// `nbssl run a.ipynb b/c.dib ...`: checks the output folder and reads every notebook before any runs,
/// then runs each. Outputs keep the notebooks' paths relative to the folder they have in common, so
/// `a/x.ipynb` and `b/x.ipynb` write `out/a/x.*` and `out/b/x.*`. A notebook that cannot be read is
/// reported by name and the others still run; the last line says how many of them failed.
/// </summary>
internal static class NotebookBatch
{
    /// <summary>Exit code 0 when every notebook ran to the end, 1 otherwise. Bad usage throws ArgumentException (exit 2).</summary>
    public static int Run(IReadOnlyList<string> notebooks, RunOptions options)
    {
        if (notebooks.Count == 0) throw new ArgumentException("run needs at least one notebook");
        var log = options.Log;
        try { OutputFolder.EnsureWritable(options.OutputDirectory, "--out"); }
        catch (IOException e) { throw new ArgumentException(e.Message, e); }   // before any work: a usage error
        WorkFolders.RemoveOrphans();

        var names = OutputNames(notebooks);
        var prepared = new List<(PreparedNotebook Notebook, string Name)>();
        int failed = 0;
        foreach (var (path, name) in notebooks.Zip(names))
        {
            try { prepared.Add((NotebookRunner.Prepare(path, options.Parameters), name)); }
            catch (InvalidNotebookException e)
            {
                log.WriteLine($"nbssl: {e.Message}");
                failed++;
            }
        }
        foreach (var (notebook, name) in prepared)
        {
            try
            {
                if (!NotebookRunner.Run(notebook, options, name).Succeeded) failed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.WriteLine($"nbssl: {notebook.Path}: {e.Message}");
                failed++;
            }
        }
        log.WriteLine(failed == 0
            ? $"nbssl: {notebooks.Count} of {notebooks.Count} notebook(s) ran to the end"
            : $"nbssl: {failed} of {notebooks.Count} notebook(s) failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// Each notebook's output path without extension: its path relative to the deepest folder all the
    /// notebooks share (just the file name when they share a folder). Two notebooks that would still
    /// write the same files (x.ipynb and x.dib side by side, or one named twice) are a usage error.
    /// </summary>
    internal static IReadOnlyList<string> OutputNames(IReadOnlyList<string> notebooks)
    {
        var full = notebooks.Select(Path.GetFullPath).ToList();
        var common = full.Select(p => Path.GetDirectoryName(p)!).Aggregate(CommonFolder);
        var names = full.Select(p => Path.Combine(Path.GetRelativePath(common, Path.GetDirectoryName(p)!), Path.GetFileNameWithoutExtension(p)))
            .Select(n => n.StartsWith("." + Path.DirectorySeparatorChar) ? n[2..] : n).ToList();
        var clash = names.Select((n, i) => (n, i)).GroupBy(x => x.n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new ArgumentException($"{string.Join(" and ", clash.Select(x => notebooks[x.i]))} would write the same output files ({clash.Key}.ipynb, {clash.Key}.html): run them separately or rename one");
        return names;
    }

    static string CommonFolder(string a, string b)
    {
        var sep = Path.DirectorySeparatorChar;
        var pa = a.TrimEnd(sep).Split(sep);
        var pb = b.TrimEnd(sep).Split(sep);
        int n = 0;
        while (n < pa.Length && n < pb.Length && pa[n] == pb[n]) n++;
        var joined = string.Join(sep, pa.Take(n));
        return joined.Length == 0 ? sep.ToString() : joined;
    }
}
