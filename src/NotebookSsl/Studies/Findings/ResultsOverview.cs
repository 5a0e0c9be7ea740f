using System.Text.Json;
using NotebookSsl.Analysis;
using NotebookSsl.Probes;

namespace NotebookSsl.Studies.Findings;

/// <summary>
/// One probe's score of one arm in a results file, from one table of it (the JSON path of the list that holds the
/// arm's rows, "runs.main"). <paramref name="Values"/>: one accuracy per seed (fractions) where the file keeps them,
/// else empty and <paramref name="Score"/> is the mean ± std the file wrote.
/// </summary>
public sealed record ArmScore(string Table, string Arm, Probe Probe, MeanStd Score, IReadOnlyList<double> Values);

/// <summary>Mean attention distance per encoder layer (px) of one arm: one array per seed (one in all where the file kept only the mean over seeds).</summary>
public sealed record LayerDistances(string Table, string Arm, IReadOnlyList<double[]> PerSeed);

/// <summary>
/// What one results file holds for an overview: where it is, its size and date, whether it was written under the
/// shared evaluation protocol (its <c>size</c> is a <see cref="StudySize"/> with a <c>Protocol</c>), every arm's probe
/// scores, its claims judged by <see cref="ClaimVerdict"/>, and attention distances. <paramref name="Error"/> says what
/// could not be read; the rest is then empty.
/// </summary>
public sealed record ResultsSource(
    string Path, long Bytes, DateTime Modified, string Notebook, string? Written, bool SharedProtocol,
    IReadOnlyList<ArmScore> Scores, IReadOnlyList<JudgedClaim> Claims, IReadOnlyList<LayerDistances> AttentionDistances, string? Error)
{
    /// <summary>The file's name without the folder.</summary>
    public string File => System.IO.Path.GetFileName(Path);
}

/// <summary>One method's score on one probe across the results files: the first file (in the order given) that has it, or none.</summary>
public sealed record MethodScore(string Method, Probe Probe, ArmScore? Score, ResultsSource? Source)
{
    public bool Missing => Score is null;
}

/// <summary>
/// Reads every notebook's results file for the overview notebook (07) without training anything. The notebooks write
/// their runs in their own shapes (a list of <see cref="ArmRun"/>s under "runs", "runs.main", "references", ...; older
/// files wrote summary rows with "Method" and a mean ± std per probe), so the reader finds arms wherever they are: any
/// object with an "Arm" or "Method" name and a score for a probe ("Linear", "Knn", "FineTune", "Attentive", directly or
/// under "Scores": a number, one number per seed, or a mean ± std). A file that cannot be read is kept with its error,
/// so an overview shows it as unreadable instead of failing; a method no file holds is <see cref="MethodScore.Missing"/>.
/// </summary>
public static class ResultsOverview
{
    static readonly (Probe Probe, string Name)[] ProbeNames =
        [(Probe.Linear, "Linear"), (Probe.Knn, "Knn"), (Probe.FineTune, "FineTune"), (Probe.Attentive, "Attentive")];

    /// <summary>Every <c>*-{size}.json</c> in <paramref name="folder"/>, by name; none when the folder does not exist.</summary>
    public static IReadOnlyList<ResultsSource> Read(string folder, string size = "quick") =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, $"*-{size}.json").OrderBy(f => f, StringComparer.Ordinal).Select(ReadFile).ToList()
            : [];

    /// <summary>One results file; never throws for its content (see <see cref="ResultsSource.Error"/>).</summary>
    public static ResultsSource ReadFile(string path)
    {
        var info = new FileInfo(path);
        string json;
        try { json = File.ReadAllText(path); }
        catch (IOException e) { return Unreadable(path, info.Exists ? info.Length : 0, info.Exists ? info.LastWriteTimeUtc : default, e.Message); }
        return Parse(json, path, info.Length, info.LastWriteTimeUtc);
    }

    /// <summary>The same, from the file's text.</summary>
    public static ResultsSource Parse(string json, string path, long bytes, DateTime modified)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Unreadable(path, bytes, modified, $"holds a JSON {root.ValueKind}, not a notebook's results object");
            string notebook = Get(root, "notebook") is { ValueKind: JsonValueKind.String } n ? n.GetString()! : NotebookOf(path);
            string? written = Get(root, "environment") is { ValueKind: JsonValueKind.Object } env && Get(env, "timestamp") is { ValueKind: JsonValueKind.String } t ? t.GetString() : null;
            bool shared = Get(root, "size") is { ValueKind: JsonValueKind.Object } size && Get(size, "Protocol") is { ValueKind: JsonValueKind.Object };
            var rows = new List<(string Table, string Arm, int? Seed, Probe Probe, double? Value, double[]? Values, MeanStd? Summary)>();
            var distances = new List<LayerDistances>();
            Walk(root, "", rows, distances);
            var scores = rows.GroupBy(r => (r.Table, r.Arm, r.Probe)).Select(g =>
            {
                // per-seed rows: one value per seed (the first row of a seed wins); else an array per seed, else the written mean ± std
                var perSeed = g.Where(r => r.Value is not null).GroupBy(r => r.Seed ?? 0).OrderBy(s => s.Key).Select(s => s.First().Value!.Value).ToArray();
                var values = perSeed.Length > 0 ? perSeed : g.FirstOrDefault(r => r.Values is not null).Values ?? [];
                var score = values.Length > 0 ? MeanStd.Of(values) : g.First(r => r.Summary is not null).Summary!;
                return new ArmScore(g.Key.Table, g.Key.Arm, g.Key.Probe, score, values);
            }).Where(s => !double.IsNaN(s.Score.Mean)).ToList();
            var claims = FindingsPage.ParseClaims(json, path);
            return new ResultsSource(path, bytes, modified, notebook, written, shared, scores, claims, distances, null);
        }
        catch (JsonException e) { return Unreadable(path, bytes, modified, $"not valid JSON ({e.Message})"); }
        catch (InvalidDataException e) { return Unreadable(path, bytes, modified, e.Message); }
    }

    /// <summary>
    /// <paramref name="method"/>'s score on <paramref name="probe"/> from the first of <paramref name="sources"/> that has
    /// it (arm names compared by their letters and digits: "MoCo v3" is "mocoV3"); within a file the table with the most
    /// seeds. <see cref="MethodScore.Missing"/> when none has it.
    /// </summary>
    public static MethodScore Find(IEnumerable<ResultsSource> sources, string method, Probe probe)
    {
        var key = Key(method);
        foreach (var source in sources)
        {
            var best = source.Scores.Where(s => s.Probe == probe && Key(s.Arm) == key)
                .OrderByDescending(s => s.Values.Count).ThenByDescending(s => s.Score.Count).FirstOrDefault();
            if (best is not null) return new MethodScore(method, probe, best, source);
        }
        return new MethodScore(method, probe, null, null);
    }

    /// <summary><paramref name="method"/>'s attention distances from the first of <paramref name="sources"/> that has them.</summary>
    public static (LayerDistances? Distances, ResultsSource? Source) FindDistances(IEnumerable<ResultsSource> sources, string method)
    {
        var key = Key(method);
        foreach (var source in sources)
            if (source.AttentionDistances.FirstOrDefault(d => Key(d.Arm) == key) is { } found) return (found, source);
        return (null, null);
    }

    /// <summary>An arm's name reduced to lower-case letters and digits, so that "random init", "randomInit" and "Random-Init" match.</summary>
    public static string Key(string arm) => new(arm.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    static ResultsSource Unreadable(string path, long bytes, DateTime modified, string error) =>
        new(path, bytes, modified, NotebookOf(path), null, false, [], [], [], $"{Path.GetFileName(path)}: {error}");

    // "02-uni-ssl-quick.json" → "02-uni-ssl"
    static string NotebookOf(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        int dash = name.LastIndexOf('-');
        return dash > 0 ? name[..dash] : name;
    }

    static JsonElement? Get(JsonElement o, string name)
    {
        foreach (var p in o.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    static void Walk(JsonElement e, string path, List<(string, string, int?, Probe, double?, double[]?, MeanStd?)> rows, List<LayerDistances> distances)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && Row(item, path, rows)) continue;
                Walk(item, path, rows, distances);
            }
        }
        else if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                var inner = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                if (p.Name.Equals("attentionDistance", StringComparison.OrdinalIgnoreCase)) Distances(p.Value, inner, distances);
                else if (p.Name is not ("claims" or "environment")) Walk(p.Value, inner, rows, distances);
            }
        }
    }

    // an arm's row: a name and at least one probe's score; false when the object is something else
    static bool Row(JsonElement o, string table, List<(string, string, int?, Probe, double?, double[]?, MeanStd?)> rows)
    {
        var name = Get(o, "Arm") ?? Get(o, "Method");
        if (name is not { ValueKind: JsonValueKind.String }) return false;
        var scores = Get(o, "Scores") is { ValueKind: JsonValueKind.Object } s ? s : o;
        int? seed = Get(o, "Seed") is { ValueKind: JsonValueKind.Number } sd && sd.TryGetInt32(out var si) ? si : null;
        bool any = false;
        foreach (var (probe, probeName) in ProbeNames)
        {
            if (Get(scores, probeName) is not { } v) continue;
            if (Number(v) is { } x) rows.Add((table, name.Value.GetString()!, seed, probe, Accuracy(x), null, null));
            else if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(i => Number(i) is not null))
                rows.Add((table, name.Value.GetString()!, seed, probe, null, v.EnumerateArray().Select(i => Accuracy(Number(i)!.Value)).ToArray(), null));
            else if (v.ValueKind == JsonValueKind.Object && Get(v, "Mean") is { } m && Number(m) is { } mean)
            {
                double std = Get(v, "Std") is { } sv && Number(sv) is { } sx ? sx : double.NaN;
                int count = Get(v, "Count") is { ValueKind: JsonValueKind.Number } c && c.TryGetInt32(out var ci) ? ci : 0;
                double scale = mean > 1.5 ? 0.01 : 1;   // the file wrote percent (see Accuracy)
                rows.Add((table, name.Value.GetString()!, seed, probe, null, null, new MeanStd(mean * scale, std * scale, count)));
            }
            else continue;
            any = true;
        }
        return any;
    }

    // "attentionDistance": { arm: [per layer] | [[per layer] per seed] } or [ { arm, seed, perLayer } ]
    static void Distances(JsonElement e, string table, List<LayerDistances> distances)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Array) continue;
                var items = p.Value.EnumerateArray().ToList();
                if (items.Count > 0 && items.All(i => Number(i) is not null)) distances.Add(new LayerDistances(table, p.Name, [Numbers(p.Value)]));
                else if (items.Count > 0 && items.All(i => i.ValueKind == JsonValueKind.Array)) distances.Add(new LayerDistances(table, p.Name, items.Select(Numbers).ToList()));
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            var perArm = e.EnumerateArray()
                .Where(i => i.ValueKind == JsonValueKind.Object && Get(i, "arm") is { ValueKind: JsonValueKind.String } && Get(i, "perLayer") is { ValueKind: JsonValueKind.Array })
                .Select(i => (Arm: Get(i, "arm")!.Value.GetString()!, Seed: Get(i, "seed") is { ValueKind: JsonValueKind.Number } s ? s.GetInt32() : 0, Layers: Numbers(Get(i, "perLayer")!.Value)));
            foreach (var g in perArm.GroupBy(d => d.Arm))
                distances.Add(new LayerDistances(table, g.Key, g.OrderBy(d => d.Seed).Select(d => d.Layers).ToList()));
        }
    }

    static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(i => Number(i) ?? double.NaN).ToArray();

    // a number, or the "NaN"/"Infinity" strings RunJson writes
    static double? Number(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetDouble(),
        JsonValueKind.String when double.TryParse(e.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    // accuracies are fractions; files that wrote percent (above 1.5: no accuracy here is below 1.5 %) are brought back
    static double Accuracy(double x) => x > 1.5 ? x / 100 : x;
}
