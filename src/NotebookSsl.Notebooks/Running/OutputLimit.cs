using NotebookSsl.Runs;

using System.Text;

namespace NotebookSsl.Notebooks.Running;

/// <summary>
/// How much of one console output (a cell's stdout or stderr) the notebook and the report keep, like
/// Jupyter's output limits: text over <see cref="MaxLines"/> lines or <see cref="MaxChars"/> characters
/// keeps its first and last <see cref="KeptLines"/> lines (each end at most <see cref="KeptChars"/>
/// characters); the full text goes to a side file next to the outputs, named where the text was cut.
/// </summary>
public sealed record OutputLimit(int MaxLines = 2_000, int MaxChars = 200_000, int KeptLines = 500, int KeptChars = 50_000)
{
    /// <summary>2,000 lines or 200,000 characters; over that, the first and last 500 lines.</summary>
    public static OutputLimit Default { get; } = new();

    /// <summary>The text to keep; writes <paramref name="sideFile"/> (atomically) when the text is cut.</summary>
    public string Apply(StringBuilder text, string sideFile)
    {
        int lines = 0;
        foreach (var chunk in text.GetChunks())
            lines += chunk.Span.Count('\n');
        if (lines <= MaxLines && text.Length <= MaxChars) return text.ToString();

        var full = text.ToString();
        AtomicFile.WriteAllText(sideFile, full);
        var head = Head(full);
        var tail = Tail(full, head.Length);
        var omitted = full.Length - head.Length - tail.Length;
        int omittedLines = full.AsSpan(head.Length, omitted).Count('\n');
        var note = (head.EndsWith('\n') ? "" : "\n") + $"[... {omittedLines:N0} lines ({omitted:N0} characters) not shown; the full output ({lines:N0} lines) is in {Path.GetFileName(sideFile)} ...]\n";
        return head + note + tail;
    }

    string Head(string s)
    {
        int end = 0;
        for (int n = 0; n < KeptLines && end < s.Length; n++)
        {
            var next = s.IndexOf('\n', end);
            end = next < 0 ? s.Length : next + 1;
        }
        return s[..Math.Min(end, KeptChars)];
    }

    string Tail(string s, int after)
    {
        int start = after, lines = 0;
        for (int i = (s.EndsWith('\n') ? s.Length - 1 : s.Length) - 1; i >= after; i--)
            if (s[i] == '\n' && ++lines == KeptLines) { start = i + 1; break; }
        return s[Math.Max(start, s.Length - KeptChars)..];
    }
}
