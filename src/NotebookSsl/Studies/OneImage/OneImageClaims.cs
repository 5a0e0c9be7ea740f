using NotebookSsl.Studies.Findings;

namespace NotebookSsl.Studies.OneImage;

/// <summary>Notebook 04's claims, built from its tables (accuracies in %), as <see cref="Claim"/> records (the findings page's schema).</summary>
public static class OneImageClaims
{
    /// <summary>Exact first-column texts of section 04 in shared/EXPERIMENTS.md.</summary>
    public const string Table6 = "Few-image pretraining (Table 6)", Table7 = "Sampling strategy (Table 7)", Table8 = "Methods on 1000 images (Table 8)";

    /// <summary>"About as well as": within this many points of fine-tune accuracy (the paper's Table 6 and 7 spreads are ≤ 0.4 points on ImageNet; a 2-core run is noisier).</summary>
    public const double Tolerance = 1.0;

    static double[] Percent(IEnumerable<double> v) => v.Select(x => Math.Round(100 * x, 2)).ToArray();

    static ClaimSide? Side<T>(IEnumerable<T> runs, string name, Func<T, bool> pick, Func<T, double> value)
    {
        var v = runs.Where(pick).Select(value).Where(double.IsFinite).ToArray();
        return v.Length == 0 ? null : new ClaimSide(name, Percent(v));
    }

    /// <summary>The claims of Tables 6–8; a claim whose rows did not run (e.g. a pending method) is left out.</summary>
    public static IReadOnlyList<Claim> Build(IReadOnlyList<FewImageRun> table6, IReadOnlyList<FewImageRun> table7, IReadOnlyList<MethodRun> table8, int subsetImages)
    {
        var claims = new List<Claim>();
        void Add(string experiment, string text, string paper, string metric, string expect, ClaimSide? a, ClaimSide? b, double? tolerance = null)
        {
            if (a is not null && b is not null) claims.Add(Claim.Pair("04", experiment, text, paper, metric, expect, a, b, tolerance));
        }
        const string ft = "fine-tune accuracy (%)";
        var one = Side(table6, "MAE, 1 image", r => r.Source == "1 image", r => r.FineTune);
        var largest = table6.Where(r => r.Images > 1 && !r.Source.Contains("crops") && r.Source != "random init").MaxBy(r => r.Images);
        var many = largest is null ? null : Side(table6, $"MAE, {largest.Source}", r => r.Source == largest.Source, r => r.FineTune);
        var random = Side(table6, "random init", r => r.Source == "random init", r => r.FineTune);
        var photo = Side(table6, "MAE, crops of one photo", r => r.Source.EndsWith("crops"), r => r.FineTune);
        Add(Table6, "MAE pretrained on one image fine-tunes about as well as MAE pretrained on the most images", "82.3 (1 image) vs 82.2 (1000 images)", ft, "a~b", one, many, Tolerance);
        Add(Table6, "MAE pretrained on one image fine-tunes better than random init", "82.3 (1 image) vs 80.9 (random init, 100 epochs)", ft, "a>b", one, random);
        Add(Table6, "MAE pretrained on the most images fine-tunes better than random init", "82.2 (1000 images) vs 80.9 (random init)", ft, "a>b", many, random);
        Add(Table6, "MAE pretrained on crops of one photo fine-tunes better than random init", "not in the paper (its one image is an ImageNet image); 82.3 vs 80.9 for that", ft, "a>b", photo, random);

        var byRandom = Side(table7, "random", r => r.Source == $"{subsetImages} images", r => r.FineTune);
        Add(Table7, $"{subsetImages} images of one class pretrain as well as {subsetImages} random images", "82.2 (one class) vs 82.2 (random)", ft, "a~b",
            Side(table7, "one class", r => r.Source.EndsWith("(one class)"), r => r.FineTune), byRandom, Tolerance);
        Add(Table7, $"{subsetImages} images, one per class in turn, pretrain as well as {subsetImages} random images", "82.2 (one per class) vs 82.2 (random)", ft, "a~b",
            Side(table7, "one per class", r => r.Source.EndsWith("(one per class)"), r => r.FineTune), byRandom, Tolerance);

        ClaimSide? M(string method, Func<MethodRun, double> value) => Side(table8, method, r => r.Method == method, value);
        const string lin = "linear-probe accuracy (%)", ten = "10 % fine-tune accuracy (%)";
        Add(Table8, "MAE's linear probe is below the supervised ViT's", "13.8 (MAE) vs 33.1 (supervised)", lin, "a<b", M("MAE", r => r.Linear), M("supervised", r => r.Linear));
        Add(Table8, "MAE fine-tunes better than the supervised ViT", "82.2 (MAE) vs 81.0 (supervised)", ft, "a>b", M("MAE", r => r.FineTune), M("supervised", r => r.FineTune));
        Add(Table8, "MAE fine-tunes on 10 % of the labels better than the supervised ViT", "57.6 (MAE) vs 52.6 (supervised)", ten, "a>b", M("MAE", r => r.TenPercent), M("supervised", r => r.TenPercent));
        Add(Table8, "MAE fine-tunes better than random init", "82.2 (MAE) vs 80.9 (random init)", ft, "a>b", M("MAE", r => r.FineTune), M("random init", r => r.FineTune));
        Add(Table8, "MAE's linear probe is only slightly above random init's", "13.8 (MAE) vs 6.1 (random init)", lin, "a>b", M("MAE", r => r.Linear), M("random init", r => r.Linear));
        Add(Table8, "MAE's linear probe is below MoCo v3's", "13.8 (MAE) vs 37.3 (MoCo v3)", lin, "a<b", M("MAE", r => r.Linear), M("MoCo v3", r => r.Linear));
        Add(Table8, "MAE fine-tunes better than MoCo v3", "82.2 (MAE) vs 79.2 (MoCo v3)", ft, "a>b", M("MAE", r => r.FineTune), M("MoCo v3", r => r.FineTune));
        foreach (var (method, paperFt, paperTen) in new[] { ("R-MAE", "82.1", "58.8"), ("C-MAE", "82.1", "61.9") })
        {
            Add(Table8, $"{method} fine-tunes about as well as MAE", $"{paperFt} ({method}) vs 82.2 (MAE)", ft, "a~b", M(method, r => r.FineTune), M("MAE", r => r.FineTune), Tolerance);
            Add(Table8, $"{method} fine-tunes on 10 % of the labels better than the supervised ViT", $"{paperTen} ({method}) vs 52.6 (supervised)", ten, "a>b", M(method, r => r.TenPercent), M("supervised", r => r.TenPercent));
        }
        return claims;
    }
}
