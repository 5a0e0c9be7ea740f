using NotebookSsl.Runs;

using System.Text;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// How much of one console output (a cell's stdout or stderr) the notebook and the report keep, like
/// Jupyter's output limits: text over <see cref="MaxLines"/> lines or <see cref="MaxChars"/> characters
/// keeps its first and last <see cref="KeptLines"/> lines (each end at most <see cref="KeptChars"/>
/// characters); the full text goes to a side file next to the outputs, named where the text was cut.
/// </summary>
internal sealed record OutputLimit(int MaxLines = 2_000, int MaxChars = 200_000, int KeptLines = 500, int KeptChars = 50_000)
{
    /// <summary>2,000 lines or 200,000 characters; over that, the first and last 500 lines.</summary>
    public static OutputLimit Default { get; } = new();

    /// <summary>The text to keep; writes <paramref name="sideFile"/> (atomically) when the text is cut.</summary>
    public string Apply(StringBuilder text, string sideFile)
    {
        using var capped = new CappedText(this, sideFile, Path.GetFileName(sideFile));
        foreach (var chunk in text.GetChunks()) capped.Append(chunk.Span);
        return capped.Finish();
    }

    internal string Head(string s)
    {
        int end = 0;
        for (int n = 0; n < KeptLines && end < s.Length; n++)
        {
            var next = s.IndexOf('\n', end);
            end = next < 0 ? s.Length : next + 1;
        }
        return s[..Math.Min(end, KeptChars)];
    }

    /// <summary>The last <see cref="KeptLines"/> lines (at most <see cref="KeptChars"/> characters) of <paramref name="s"/>, none before <paramref name="after"/>.</summary>
    internal string Tail(string s, int after)
    {
        int start = after, lines = 0;
        for (int i = (s.EndsWith('\n') ? s.Length - 1 : s.Length) - 1; i >= after; i--)
            if (s[i] == '\n' && ++lines == KeptLines) { start = i + 1; break; }
        return s[Math.Max(start, s.Length - KeptChars)..];
    }
}

/// <summary>
/// One console output under an <see cref="OutputLimit"/>, fed as it comes, in memory bounded by the limit
/// whatever the output's size: until the text passes the limit it is held (at most MaxChars plus one
/// piece); from then on the head is kept, every piece streams to the side file (a temporary name, moved into
/// place by <see cref="Finish"/>), and only the last KeptChars characters stay in memory for the tail.
/// The runner keeps head, note and tail (<see cref="Finish"/>); the kernel shows the text live up to the
/// limit (<see cref="Append"/>'s return) and then a note and the tail (<see cref="FinishShown"/>).
/// </summary>
internal sealed class CappedText : IDisposable
{
    readonly OutputLimit limit;
    readonly string sideFile, sideName;
    StringBuilder? held = new();            // the whole text while under the limit; null once cut
    readonly StringBuilder recent = new();  // once cut, the last KeptChars to 2 KeptChars characters (for the tail)
    string head = "";
    long total, lines, shown;
    string? tempFile;
    StreamWriter? side;
    long linesShown;
    bool shownEndsLine = true;

    /// <param name="limit">The limits.</param>
    /// <param name="sideFile">Where the whole text goes once it passes the limit.</param>
    /// <param name="sideName">How the notes name the side file (the runner: its file name beside the notebook; the kernel: its full path).</param>
    public CappedText(OutputLimit limit, string sideFile, string sideName)
    {
        this.limit = limit;
        this.sideFile = Path.GetFullPath(sideFile);
        this.sideName = sideName;
    }

    /// <summary>True once the text passed the limit (a side file is being written).</summary>
    public bool Cut => held is null;

    public string SideName => sideName;

    /// <summary>Adds text; returns the part of it that is within the limit (what a live front-end may show now).</summary>
    public string Append(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return "";
        if (held is null)
        {
            Recent(text);
            side!.Write(text);
            total += text.Length;
            lines += text.Count('\n');
            return "";
        }
        held.Append(text);
        total += text.Length;
        lines += text.Count('\n');
        var within = text.Length;
        if (lines > limit.MaxLines || total > limit.MaxChars)
        {
            // shown: what fits in MaxChars characters and MaxLines lines of the whole text, ending at a line's end
            within = (int)Math.Clamp(limit.MaxChars - shown, 0, text.Length);
            long lineRoom = limit.MaxLines - linesShown;
            var byLines = false;
            for (int i = 0; i < within; i++)
                if (text[i] == '\n' && --lineRoom < 0) { within = i; byLines = true; break; }
            // complete lines only; a line longer than the character limit is cut where the limit falls
            var lastEnd = text[..within].LastIndexOf('\n');
            if (byLines || lastEnd >= 0) within = lastEnd + 1;

            var all = held.ToString();
            held = null;
            head = limit.Head(all);
            tempFile = Path.Combine(Path.GetDirectoryName(sideFile)!, $".{Path.GetFileName(sideFile)}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
            Directory.CreateDirectory(Path.GetDirectoryName(sideFile)!);
            side = new StreamWriter(new FileStream(tempFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), new UTF8Encoding(false));
            side.Write(all);
            Recent(all);
        }
        var part = text[..within];
        shown += part.Length;
        linesShown += part.Count('\n');
        if (part.Length > 0) shownEndsLine = part[^1] == '\n';
        return part.ToString();
    }

    void Recent(ReadOnlySpan<char> text)
    {
        var keep = limit.KeptChars;
        if (text.Length > keep) { recent.Clear(); recent.Append(text[^keep..]); return; }
        recent.Append(text);
        if (recent.Length > 2 * keep) recent.Remove(0, recent.Length - keep);
    }

    /// <summary>The text to keep: all of it, or (cut) head, a note naming the side file, and tail; the side file moves into place.</summary>
    public string Finish() =>
        held?.ToString() ?? head + Note(head.Length, head.AsSpan().Count('\n'), head.Length == 0 || head.EndsWith('\n'));

    /// <summary>After what <see cref="Append"/> returned: nothing, or (cut) a note naming the side file and the tail.</summary>
    public string FinishShown() => held is null ? Note(shown, linesShown, shownEndsLine) : "";

    /// <summary>The note and the tail that follow the first <paramref name="before"/> characters (<paramref name="beforeLines"/> lines).</summary>
    string Note(long before, long beforeLines, bool atLineStart)
    {
        CloseSide();
        var start = total - recent.Length;                      // where `recent` starts in the whole text
        var window = recent.ToString();
        var tail = limit.Tail(window, (int)Math.Clamp(before - start, 0, window.Length));
        var omitted = total - before - tail.Length;
        var omittedLines = lines - beforeLines - tail.AsSpan().Count('\n');
        return (atLineStart ? "" : "\n")
               + $"[... {omittedLines:N0} lines ({omitted:N0} characters) not shown; the full output ({lines:N0} lines) is in {sideName} ...]\n"
               + tail;
    }

    void CloseSide()
    {
        if (side is null) return;
        side.Flush();
        ((FileStream)side.BaseStream).Flush(flushToDisk: true);
        side.Dispose();
        side = null;
        File.Move(tempFile!, sideFile, overwrite: true);
        tempFile = null;
    }

    public void Dispose()
    {
        side?.Dispose();
        side = null;
        if (tempFile is not null) { try { File.Delete(tempFile); } catch (IOException) { } }
    }
}
