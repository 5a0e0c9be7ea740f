// The quick-recipe search of issue 9: which small MAE, pretrained on Fashion-MNIST within a notebook's
// budget, clearly beats random init (fine-tune on 10 % labels, linear probe, k-NN) and gets near raw pixels?
// One process, one torch thread. Every variant is pretrained once (seed 0 unless --seed), then probed; the
// random-init encoder of each shape and the raw pixels are probed once. Each finished row is appended to
// results.csv at once (a killed search keeps what it finished), and results.md is rewritten from it.
//
// Usage: dotnet run -c Release --project scripts/recipe-search -- [VARIANT...] [--seed N] [--list]
//        (no variant: every variant not yet in results.csv for that seed)
//        ... -- --ft VARIANT [--protocols a,b]: the fine-tuning protocols below on that variant's MAE (pretrained again unless its
//        weights are in $TMPDIR/nbssl-recipe-search/) and on random init, one row each (kind "ft")
//        ... -- --table: rewrites results.md from results.csv and exits
using System.Diagnostics;
using System.Globalization;
using System.Text;
using NotebookSsl.Analysis;
using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Training;
using static TorchSharp.torch;

var inv = CultureInfo.InvariantCulture;
string here = Path.Combine(NotebookSsl.Runs.RepositoryRoot.Find() ?? throw new InvalidOperationException("run from inside the repository"), "scripts", "recipe-search");
string csvPath = Path.Combine(here, "results.csv"), mdPath = Path.Combine(here, "results.md");

// the protocol: notebook 01's quick data budget, probes of the notebook, fine-tuning on 10 % labels
const int TrainImages = 4096, TestImages = 1000, Labelled = 410;   // 410 = 10 % of the pretraining images
var fineTune = FineTuning.DefaultConfig with { Epochs = 30, BatchSize = 32, Lr = 1e-3, WarmupEpochs = 3 };
const double LayerDecay = 0.75;
var linear = LinearProbe.DefaultConfig with { Epochs = 20, BatchSize = 128, WarmupEpochs = 2 };

static MaeConfig Mae(int patch, int width, int depth, int heads, int decWidth, int decDepth, int decHeads) => new()
{
    Encoder = new VitConfig { ImageSize = 28, PatchSize = patch, Channels = 1, Width = width, Depth = depth, Heads = heads },
    DecoderWidth = decWidth, DecoderDepth = decDepth, DecoderHeads = decHeads,
};
static TrainConfig Pre(int epochs, double lr, int batch = 64) => new() { Epochs = epochs, BatchSize = batch, Lr = lr, WarmupEpochs = 1 };

var variants = new Dictionary<string, (MaeConfig Mae, TrainConfig Pretrain)>
{
    // notebook 01's quick recipe before this search (the reference point)
    ["q01"] = (Mae(4, 64, 4, 4, 64, 3, 4), Pre(8, 2e-3)),
    // twice the epochs
    ["q01-16ep"] = (Mae(4, 64, 4, 4, 64, 3, 4), Pre(16, 2e-3)),
    // a smaller decoder (MAE: the decoder can be light), the saved time spent on epochs
    ["dec32x1-16ep"] = (Mae(4, 64, 4, 4, 32, 1, 4), Pre(16, 2e-3)),
    // wider encoder
    ["w128-8ep"] = (Mae(4, 128, 4, 4, 64, 2, 4), Pre(8, 1.5e-3)),
    // deeper encoder
    ["d6-8ep"] = (Mae(4, 64, 6, 4, 64, 2, 4), Pre(8, 2e-3)),
    // lower learning rate
    ["q01-16ep-lr1e-3"] = (Mae(4, 64, 4, 4, 64, 3, 4), Pre(16, 1e-3)),
    // 14 x 14 grid (patch 2): 4x the tokens, so a quarter of the epochs for about the same cost
    ["p2-w64-4ep"] = (Mae(2, 64, 4, 4, 32, 1, 4), Pre(4, 2e-3)),
    // 14 x 14 again: a 2x2 patch has 4 pixels, so normalising each patch's target by its own mean and std (norm_pix_loss)
    // mostly amplifies noise, and a neighbour's pixels predict a masked one by interpolation; so raw-pixel targets and
    // a 0.9 mask ratio (19 of 196 patches visible, which also makes a step cheaper), with 8 epochs
    ["p2-8ep-m90-raw"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { MaskRatio = 0.9, NormPixLoss = false }, Pre(8, 2e-3)),
    ["p2-8ep-m90"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { MaskRatio = 0.9 }, Pre(8, 2e-3)),
    ["p2-8ep-raw"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false }, Pre(8, 2e-3)),
    // local decoders (lc-mae-uni-ssl Table 1): in notebook 01 at quick an MAE with the weighted-average or the conv
    // decoder fine-tunes and linear-probes well above random init, the Transformer decoder does not. A decoder that
    // can only interpolate nearby tokens leaves the encoder the work of carrying what a masked patch looks like.
    ["q01-wa"] = (Mae(4, 64, 4, 4, 64, 3, 4) with { Decoder = DecoderKind.WeightedAverage }, Pre(8, 2e-3)),
    ["q01-conv"] = (Mae(4, 64, 4, 4, 64, 3, 4) with { Decoder = DecoderKind.Conv }, Pre(8, 2e-3)),
    ["q01-raw"] = (Mae(4, 64, 4, 4, 64, 3, 4) with { NormPixLoss = false }, Pre(8, 2e-3)),
    ["p2-8ep-raw-wa"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Decoder = DecoderKind.WeightedAverage }, Pre(8, 2e-3)),
    ["p2-8ep-raw-conv"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Decoder = DecoderKind.Conv }, Pre(8, 2e-3)),
    // the weighted-average decoder costs a third of the Transformer decoder's step at 7 x 7: spend it on epochs
    ["q01-wa-16ep"] = (Mae(4, 64, 4, 4, 64, 3, 4) with { Decoder = DecoderKind.WeightedAverage }, Pre(16, 2e-3)),
    ["q01-wa-24ep"] = (Mae(4, 64, 4, 4, 64, 3, 4) with { Decoder = DecoderKind.WeightedAverage }, Pre(24, 2e-3)),
    // at 14 x 14 a 5 x 5 token window is 10 x 10 pixels, and the nearest visible tokens are 2 pixels away: interpolation.
    // A 9 x 9 window with sigma 2 covers about the pixels 7 x 7's 5 x 5 window does (18 vs 20), and a 0.9 ratio leaves
    // about 8 visible tokens in it
    ["p2-8ep-raw-wa-k9"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Decoder = DecoderKind.WeightedAverage, LocalKernel = 9, LocalSigma = 2 }, Pre(8, 2e-3)),
    ["p2-8ep-raw-wa-k9-m90"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Decoder = DecoderKind.WeightedAverage, LocalKernel = 9, LocalSigma = 2, MaskRatio = 0.9 }, Pre(8, 2e-3)),
    // at 14 x 14 random masking leaves a visible 2 x 2 patch next to almost every masked one; BEiT's block masking
    // (CAE's) removes rectangles of tokens, so a masked region must be filled from farther away
    ["p2-8ep-raw-block"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Masking = NotebookSsl.Masking.MaskingKind.Block }, Pre(8, 2e-3)),
    ["p2-8ep-raw-conv-block"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, Decoder = DecoderKind.Conv, Masking = NotebookSsl.Masking.MaskingKind.Block }, Pre(8, 2e-3)),
    // 14 x 14 tokens, masked in 2 x 2-token squares: the removed regions are 4 x 4 pixels, as at 7 x 7, while the visible
    // parts keep the finer tokens (SimMIM's mask patch size)
    ["p2-8ep-raw-u2"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, MaskUnit = 2 }, Pre(8, 2e-3)),
    ["p2-8ep-raw-wa-u2"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, MaskUnit = 2, Decoder = DecoderKind.WeightedAverage }, Pre(8, 2e-3)),
    ["p2-8ep-raw-conv-u2"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, MaskUnit = 2, Decoder = DecoderKind.Conv }, Pre(8, 2e-3)),
    ["p2-16ep-raw-conv-u2"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { NormPixLoss = false, MaskUnit = 2, Decoder = DecoderKind.Conv }, Pre(16, 2e-3)),
    ["p2-8ep-wa"] = (Mae(2, 64, 4, 4, 32, 1, 4) with { Decoder = DecoderKind.WeightedAverage }, Pre(8, 2e-3)),
};

// fine-tuning protocols compared with --ft: does a lower learning rate or a shorter schedule let the pretrained
// initialisation show (random init catches up with 30 epochs at 1e-3)?
var ftProtocols = new Dictionary<string, (TrainConfig Config, Mixup? Mixup)>
{
    ["ft30-lr1e-3"] = (fineTune, null),
    ["ft30-lr3e-4"] = (fineTune with { Lr = 3e-4 }, null),
    ["ft15-lr3e-4"] = (fineTune with { Epochs = 15, Lr = 3e-4, WarmupEpochs = 2 }, null),
    ["ft15-lr1e-4"] = (fineTune with { Epochs = 15, Lr = 1e-4, WarmupEpochs = 2 }, null),
    // the official fine-tuning regularisation (mixup 0.8, cutmix 1.0, label smoothing 0.1): 30 epochs on 410 labels
    // memorise them; mixing keeps both arms from it, and a pretrained start has the more to keep
    ["ft30-lr1e-3-mix"] = (fineTune, Mixup.Official),
    ["ft40-lr1e-3-mix"] = (fineTune with { Epochs = 40, WarmupEpochs = 4 }, Mixup.Official),
    ["ft50-lr1e-3-mix"] = (fineTune with { Epochs = 50, WarmupEpochs = 5 }, Mixup.Official),
    ["ft60-lr1e-3-mix"] = (fineTune with { Epochs = 60, WarmupEpochs = 5 }, Mixup.Official),
    ["ft100-lr1e-3-mix"] = (fineTune with { Epochs = 100, WarmupEpochs = 5 }, Mixup.Official),   // does random init catch up given longer?
};
string weightsFolder = Path.Combine(Path.GetTempPath(), "nbssl-recipe-search");

int seed = 0;
string? ftVariant = null;
HashSet<string>? protocols = null;
var chosen = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--seed") seed = int.Parse(args[++i]);
    else if (args[i] == "--ft") ftVariant = args[++i];
    else if (args[i] == "--protocols") protocols = args[++i].Split(',').ToHashSet();
    else if (args[i] == "--table") { }
    else if (args[i] == "--list") { foreach (var (k, v) in variants) Console.WriteLine($"{k}: {v.Mae} {v.Pretrain}"); return; }
    else if (variants.ContainsKey(args[i])) chosen.Add(args[i]);
    else throw new ArgumentException($"unknown variant '{args[i]}' (known: {string.Join(", ", variants.Keys)})");
}

var header = "kind,name,seed,grid,width,depth,heads,decoder,epochs,lr,params,pretrain_cpu_s,pretrain_wall_s,img_per_cpu_s,final_loss,ft10,lin_cls,lin_mean,knn_mean,probe_cpu_s";
var rows = File.Exists(csvPath) ? File.ReadAllLines(csvPath).Skip(1).Where(l => l.Length > 0).ToList() : [];
bool Done(string kind, string name, int s) => rows.Any(r => r.StartsWith($"{kind},{name},{s},"));
if (args.Contains("--table")) { WriteMarkdown(); return; }   // results.md again from results.csv, nothing run
set_num_threads(1);
if (ftVariant is not null && !variants.ContainsKey(ftVariant)) throw new ArgumentException($"unknown variant '{ftVariant}'");
if (chosen.Count == 0 && ftVariant is null) chosen = variants.Keys.Where(k => !Done("mae", k, seed)).ToList();

using var trainSet = FashionMnist.Load(DatasetSplit.Train);
using var testSet = FashionMnist.Load(DatasetSplit.Test);
using var train = trainSet.Take(TrainImages);
using var test = testSet.Take(TestImages);
using var labelled = train.Take(Labelled);
Console.WriteLine($"{get_num_threads()} thread; {train.Count} train / {labelled.Count} labelled / {test.Count} test images; variants: {string.Join(", ", chosen)}");

double Cpu() { using var p = Process.GetCurrentProcess(); return p.TotalProcessorTime.TotalSeconds; }
string F(double v, string f = "F4") => double.IsNaN(v) ? "" : v.ToString(f, inv);

void Append(string row)
{
    // rows another search process appended since this one started are kept: read the file again, add, replace it whole
    var onDisk = File.Exists(csvPath) ? File.ReadAllLines(csvPath).Skip(1).Where(l => l.Length > 0) : [];
    rows = onDisk.Union(rows).Append(row).ToList();
    string temporary = csvPath + $".{Environment.ProcessId}.tmp";
    File.WriteAllText(temporary, header + "\n" + string.Join("\n", rows) + "\n");
    File.Move(temporary, csvPath, overwrite: true);
    WriteMarkdown();
    Console.WriteLine(row);
}

(double Ft, double LinCls, double LinMean, double Knn) Probe(VisionTransformer encoder, int s)
{
    double ft = FineTuning.Run(encoder, labelled.Images, labelled.Labels, test.Images, test.Labels, 10, fineTune with { Seed = s }, LayerDecay).Accuracy;
    using var cTrain = Features.Extract(encoder, train.Images, FeatureKind.Cls);
    using var cTest = Features.Extract(encoder, test.Images, FeatureKind.Cls);
    using var mTrain = Features.Extract(encoder, train.Images, FeatureKind.MeanPatch);
    using var mTest = Features.Extract(encoder, test.Images, FeatureKind.MeanPatch);
    double linCls = LinearProbe.OnFeatures(cTrain, train.Labels, cTest, test.Labels, 10, linear with { Seed = s }).Accuracy;
    double linMean = LinearProbe.OnFeatures(mTrain, train.Labels, mTest, test.Labels, 10, linear with { Seed = s }).Accuracy;
    double knn = Knn.OnFeatures(mTrain, train.Labels, mTest, test.Labels, 10).Accuracy;
    return (ft, linCls, linMean, knn);
}

// raw pixels: once
if (!Done("raw", "pixels", 0))
{
    double c0 = Cpu();
    var (rawTrain, rawTest) = RawPixels.Standardised(train.Images, test.Images);
    double rawLinear = LinearProbe.OnFeatures(rawTrain, train.Labels, rawTest, test.Labels, 10, linear).Accuracy;
    double rawKnn = Knn.OnFeatures(rawTrain, train.Labels, rawTest, test.Labels, 10).Accuracy;
    Append($"raw,pixels,0,,,,,,,,,,,,,,,{F(rawLinear)},{F(rawKnn)},{F(Cpu() - c0, "F0")}");
}

foreach (var name in chosen)
{
    var (mae, pre) = variants[name];
    var e = mae.Encoder;
    string shape = $"{e.GridSize}x{e.GridSize},{e.Width},{e.Depth},{e.Heads}";

    // random init of this encoder shape and seed: once
    string randomName = $"random-g{e.GridSize}-w{e.Width}-d{e.Depth}";
    if (!Done("random", randomName, seed))
    {
        double c0 = Cpu();
        using var random = RandomInit.Encoder(e, seed);
        var r = Probe(random, seed);
        Append($"random,{randomName},{seed},{shape},,,,{random.parameters().Sum(p => p.numel())},,,,,{F(r.Ft)},{F(r.LinCls)},{F(r.LinMean)},{F(r.Knn)},{F(Cpu() - c0, "F0")}");
    }

    using var model = PretrainedOrNew(name, mae);
    double cpu0 = Cpu();
    var clock = Stopwatch.StartNew();
    var steps = MaePretraining.Steps(model, train.Images, pre with { Seed = seed }).Collect(s =>
    {
        if (s.Step % 64 == 0) Console.WriteLine($"  {name} step {s.Step} epoch {s.Epoch}: loss {s.Loss:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
    });
    double cpu = Cpu() - cpu0, wall = clock.Elapsed.TotalSeconds;
    double imagesPerCpuSecond = (double)steps.Count * pre.BatchSize / cpu;
    double finalLoss = steps.TakeLast(Math.Min(16, steps.Count)).Average(s => s.Loss);   // mean of the last 16 steps
    Directory.CreateDirectory(weightsFolder);
    NotebookSsl.IO.Weights.Save(model, WeightsPath(name));
    double p0 = Cpu();
    var m = Probe(model.Encoder, seed);
    Append($"mae,{name},{seed},{shape},{(mae.Decoder == DecoderKind.Transformer ? $"{mae.DecoderWidth}x{mae.DecoderDepth}" : mae.Decoder)},{pre.Epochs},{F(pre.PeakLr, "G3")},{model.ParameterCount},{F(cpu, "F0")},{F(wall, "F0")},{F(imagesPerCpuSecond, "F0")},{F(finalLoss)},{F(m.Ft)},{F(m.LinCls)},{F(m.LinMean)},{F(m.Knn)},{F(Cpu() - p0, "F0")}");
}

string WeightsPath(string name) => Path.Combine(weightsFolder, $"{name}-seed{seed}.safetensors");
MaskedAutoencoder PretrainedOrNew(string name, MaeConfig mae) { Seeds.Set(seed); return new MaskedAutoencoder(mae); }

if (ftVariant is not null)
{
    var (mae, pre) = variants[ftVariant];
    using var model = PretrainedOrNew(ftVariant, mae);
    if (File.Exists(WeightsPath(ftVariant))) NotebookSsl.IO.Weights.Load(model, WeightsPath(ftVariant));
    else
    {
        MaePretraining.Steps(model, train.Images, pre with { Seed = seed }).Collect();
        Directory.CreateDirectory(weightsFolder);
        NotebookSsl.IO.Weights.Save(model, WeightsPath(ftVariant));
    }
    using var random = RandomInit.Encoder(mae.Encoder, seed);
    foreach (var (protocol, (config, mixup)) in ftProtocols)
    {
        if (Done("ft", $"{ftVariant}/{protocol}", seed) || (protocols is not null && !protocols.Contains(protocol))) continue;
        double c0 = Cpu();
        double Ft(VisionTransformer encoder) => FineTuning.Run(encoder, labelled.Images, labelled.Labels, test.Images, test.Labels, 10, config with { Seed = seed }, LayerDecay,
            mixup: mixup).Accuracy;
        double ftMae = Ft(model.Encoder), ftRandom = Ft(random);
        // kind ft: FT of the MAE in ft10, FT of random init in lin_cls (the md table shows them as such)
        Append($"ft,{ftVariant}/{protocol},{seed},,,,,,{config.Epochs},{F(config.PeakLr, "G3")},,,,,,{F(ftMae)},{F(ftRandom)},,,{F(Cpu() - c0, "F0")}");
    }
}

// results.md: the table, MAE rows beside their random-init row and the raw pixels
void WriteMarkdown()
{
    var md = new StringBuilder();
    md.Append("# Quick-recipe search (issue 9)\n\n");
    md.Append("Written by `scripts/recipe-search` from results.csv; do not edit. Fashion-MNIST, first 4,096 train images ")
      .Append("(pretraining, linear probe and k-NN training), first 410 of them labelled for fine-tuning (10 %), first 1,000 test images. ")
      .Append("One torch thread. Fine-tune: 30 epochs, batch 32, lr 1e-3, layer decay 0.75, global-pool head. Linear probe: ")
      .Append("BatchNorm + linear, 20 epochs, on the cls token or the mean patch token. k-NN: k = 20 on the mean patch token. ")
      .Append("CPU seconds are the process's (a shared machine: wall seconds are several times more). One seed per row.\n\n");
    var all = rows.Select(r => r.Split(',')).ToList();
    // the random-init row of a variant row: same seed, grid, width and depth
    string[]? RandomFor(string[] r) => all.FirstOrDefault(x => x[0] == "random" && x[2] == r[2] && x[3] == r[3] && x[4] == r[4] && x[5] == r[5]);
    var raw = all.FirstOrDefault(r => r[0] == "raw");
    if (raw is not null) md.Append($"Raw pixels (standardised): linear probe **{Pct(raw[17])}**, k-NN **{Pct(raw[18])}**.\n\n");
    md.Append("| variant | seed | grid | width × depth | decoder | epochs | lr | params | pretrain CPU s | img / CPU s | loss | FT 10 % | linear (cls) | linear (mean) | k-NN | random init: FT 10 % / linear (mean) / k-NN |\n");
    md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    foreach (var r in all.Where(r => r[0] == "mae"))
    {
        var rnd = RandomFor(r);
        string rndText = rnd is null ? "" : $"{Pct(rnd[15])} / {Pct(rnd[17])} / {Pct(rnd[18])}";
        md.Append($"| {r[1]} | {r[2]} | {r[3]} | {r[4]} × {r[5]} | {r[7]} | {r[8]} | {r[9]} | {r[10]} | {r[11]} | {r[13]} | {r[14]} | {Pct(r[15])} | {Pct(r[16])} | {Pct(r[17])} | {Pct(r[18])} | {rndText} |\n");
    }
    var ft = all.Where(r => r[0] == "ft").ToList();
    if (ft.Count > 0)
    {
        md.Append("\nFine-tuning protocols (10 % labels, layer decay 0.75, batch 32), on one variant's MAE and on random init:\n\n");
        md.Append("| variant / protocol | seed | epochs | lr | FT 10 %: MAE | FT 10 %: random init | MAE − random |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in ft)
            md.Append($"| {r[1]} | {r[2]} | {r[8]} | {r[9]} | {Pct(r[15])} | {Pct(r[16])} | {(100 * (double.Parse(r[15], CultureInfo.InvariantCulture) - double.Parse(r[16], CultureInfo.InvariantCulture))).ToString("+0.0;-0.0", CultureInfo.InvariantCulture)} |\n");
    }
    WriteSeedSummary(md, all, RandomFor);
    File.WriteAllText(mdPath, md.ToString());
}

// Over seeds: every variant (and fine-tuning protocol) run on two or more seeds against random init of the same shape and
// seeds, with the rule of issue 9 and FINDINGS.md: a difference beyond two pooled standard deviations.
void WriteSeedSummary(StringBuilder md, List<string[]> all, Func<string[], string[]?> randomFor)
{
    double V(string s) => 100 * double.Parse(s, CultureInfo.InvariantCulture);
    string Cell(double[] a, double[] b)
    {
        double sa = MeanStd.Of(a).Std, sb = MeanStd.Of(b).Std;
        double d = a.Average() - b.Average(), twoS = ClaimVerdict.Resolution * ClaimVerdict.PooledStd(a, b);
        return $"{a.Average():F1} ± {sa:F1} vs {b.Average():F1} ± {sb:F1}: {d:+0.0;-0.0} (2s {twoS:F1}){(d > twoS ? " **beyond**" : "")}";
    }
    var lines = new List<string>();
    foreach (var group in all.Where(r => r[0] == "mae").GroupBy(r => r[1]))
    {
        var pairs = group.Select(r => (Mae: r, Random: randomFor(r)))
                         .Where(p => p.Random is not null).ToList();
        if (pairs.Count < 2) continue;
        string Of(int column) => Cell(pairs.Select(p => V(p.Mae[column])).ToArray(), pairs.Select(p => V(p.Random![column])).ToArray());
        lines.Add($"| {group.Key} | {string.Join(", ", pairs.Select(p => p.Mae[2]))} | FT 30 epochs, no mixup | {Of(15)} | {Of(16)} | {Of(17)} | {Of(18)} |");
    }
    foreach (var group in all.Where(r => r[0] == "ft").GroupBy(r => r[1]).Where(g => g.Count() >= 2))
        lines.Add($"| {group.Key.Split('/')[0]} | {string.Join(", ", group.Select(r => r[2]))} | {group.Key.Split('/')[1]} | {Cell(group.Select(r => V(r[15])).ToArray(), group.Select(r => V(r[16])).ToArray())} | | | |");
    if (lines.Count == 0) return;
    md.Append("\nOver seeds, MAE vs random init of the same shape (mean ± std in %, the difference, two pooled standard deviations; ")
      .Append("**beyond** where the difference is larger, issue 9's bar):\n\n")
      .Append("| variant | seeds | fine-tuning | FT 10 % | linear (cls) | linear (mean) | k-NN |\n|---|---|---|---|---|---|---|\n");
    foreach (var line in lines) md.Append(line).Append('\n');
}

static string Pct(string fraction) => fraction.Length == 0 ? "" : (double.Parse(fraction, CultureInfo.InvariantCulture) * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";
