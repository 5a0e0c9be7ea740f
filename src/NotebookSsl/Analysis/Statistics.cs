namespace NotebookSsl.Analysis;

/// <summary>A mean and sample standard deviation over seeds.</summary>
public sealed record MeanStd(double Mean, double Std, int Count)
{
    public static MeanStd Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) throw new ArgumentException("no value to average.", nameof(values));
        double mean = v.Average();
        double std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new MeanStd(mean, std, v.Length);
    }

    /// <summary>"mean ± std" with the given format, e.g. "F1".</summary>
    public string Format(string format = "F2", double scale = 1) =>
        Count > 1 ? $"{(Mean * scale).ToString(format)} ± {(Std * scale).ToString(format)}" : (Mean * scale).ToString(format);

    public override string ToString() => Format();
}

/// <summary>Small statistics the notebooks report: rank and linear correlation.</summary>
public static class Statistics
{
    /// <summary>Pearson's correlation of two series of the same length (NaN when either is constant).</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(a, b);
        double ma = a.Average(), mb = b.Average();
        return a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum()
             / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }

    /// <summary>Spearman's rank correlation: Pearson's on the ranks, ties sharing their mean rank.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(a, b);
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>0-based ranks; tied values get the mean of the ranks they span.</summary>
    public static double[] Ranks(IReadOnlyList<double> values) =>
        values.Select(x => values.Count(y => y < x) + (values.Count(y => y == x) - 1) / 2.0).ToArray();

    static void Check(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count < 2)
            throw new ArgumentException($"a correlation needs two series of the same length, at least 2; got {a.Count} and {b.Count}.");
    }
}
