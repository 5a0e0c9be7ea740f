#!/usr/bin/env python3
"""Writes notebooks/03a-occlusion-rmae-cka.dib, 03b-occlusion-cmae.dib and 03c-occlusion-ablations.dib from the cell texts
below (section 03 of shared/EXPERIMENTS.md, split in three so that each fits the 20-minute quick budget). The three share
their opening, setup, helpers and results cells. Run: python3 notebooks/tools/make-03.py"""
import pathlib

PAPER = r"""
**The paper** (Kong & Zhang, *Understanding Masked Image Modeling via Learning Occlusion Invariant Feature*,
`shared/papers/relaxmim-occlusion-invariance.md`, §2–3; ImageNet, ViT-B, 100–400 epochs) reads MAE as a siamese method:
rewriting its loss with a second branch that sees the patches the first one lost (Eq. 4–7) shows that MIM learns features
that do not change when part of the image is occluded. Then:

1. **R-MAE** (Eq. 8, Table 1), the relaxed siamese form: ‖(d(f(T1 x)) − d(f(T2 x))) ⊙ (1 − M)‖² + λ‖(d(f(T2 x)) − T2(x)) ⊙ (1 − M)‖²,
   one decoder for both branches, λ = 1, fine-tunes within 0.4 points of MAE (82.7 vs 83.1 %) and reconstructs better
   (PSNR 23.7 vs 22.2 dB). The second view can be an independent 25 % mask (R-MAE†, 82.8 %) or the whole image (R-MAE‡, 82.7 %).
2. **CKA of full vs masked images** (Fig. 1): per encoder block, for mask ratios 0.1–0.9, MAE, R-MAE and C-MAE keep high
   CKA between the features of full and masked images; a supervised ViT and MoCo v3 drop, most at high ratios.
3. **C-MAE** (Eq. 9–11, Table 2): the siamese form with InfoNCE (τ = 0.2) instead of the decoder, learnable mask tokens in
   the encoder, 2-layer GELU projector and predictor, EMA target (0.996), colour jitter after masking: fine-tunes as MAE
   does (82.9 vs 83.1 %).
4. **Token-wise vs instance-wise** (Table 3): the loss on every patch token (82.9 %) beats the cls token (82.5 %) and the
   mean token (82.6 %); adding the cls token changes nothing (82.9 %).
5. **Linear, FT, 10 % FT** (Table 4): C-MAE is weaker than MAE under linear probing (41.1 vs 54.5 %) and 10 % fine-tuning
   (66.4 vs 67.5 %); without mask tokens in the encoder both recover (56.2 % linear); BYOL's loss shows the same trend;
   colour jitter does not help MAE (83.1 vs 83.1 %).
6. **Augmentation compositions** (Table 5, ViT-S, ImageNet-100): removing patch masking costs both MAE and C-MAE the most;
   cutmix and colour jitter help C-MAE but not MAE.
"""

HERE = r"""
**What runs here.** Fashion-MNIST, 28×28 grey images, 4×4-pixel patches (a 7×7 token grid); every method pretrains the
same small ViT (notebook 01's quick encoder: 4 blocks, width 64) for the same number of steps on the same images, then
is probed on held-out images: end-to-end fine-tuning (MAE's recipe), a linear probe on the frozen cls token, fine-tuning
on a tenth of the labels, and PSNR of the reconstruction on the removed patches (models with a decoder). Beside every
probe table: the same encoder from a **random initialisation**, and a linear probe on the **raw pixels**. Mean ± std over
seeds. Nothing here is the paper's scale: read a number as the direction a finding takes after minutes of training.

Every trained model goes through the run store (`runs/`, or `$NBSSL_RUNS`, or the `runs` parameter) under a hash of its
config and seed: running a notebook again, or another part of section 03 (or notebook 04) asking for the same run, loads
it. The plain MAE, the default C-MAE and the supervised ViT are shared by the three parts.

**Section 03 is split in three notebooks**, because its ~20 pretrained variants × 3 seeds do not fit one 20-minute
quick run on a 2-core CPU: **03a** R-MAE (Table 1) and CKA (Fig. 1); **03b** C-MAE against MAE (Tables 2 and 4);
**03c** the C-MAE loss and augmentation ablations (Tables 3 and 5).
"""

PLAN = r"""
**The quick plan** (`size=quick`, one torch thread). 4,096 train and 1,000 held-out images; 256 pretraining steps per model
(4 epochs, batch 64); fine-tuning on 2,048 labels for 2 epochs, the 10 % fine-tune on 204 labels for 5 epochs, a 20-epoch
linear probe. Step costs measured on this machine under load, relative to an MAE step (encoder on 12 of 49 tokens, 2-block
decoder): R-MAE ≈ 1.8×, R-MAE‡ ≈ 2.4×, C-MAE ≈ 2.5×, C-MAE without mask tokens ≈ 1.7×, MoCo v3 ≈ 3×, a fine-tuning or
supervised step ≈ 1.2×; an MAE step took ≈ 0.1 s in notebook 01's quick run. {estimate}
**This notebook has not yet been run at quick**; the estimate is a plan, not a measurement.
"""

SETUP = r"""
#r "nuget: Plotly.NET, 6.0.0"
#r "nuget: Plotly.NET.CSharp, 0.14.0"
using NotebookSsl.Analysis;
using NotebookSsl.Runs;
using NotebookSsl.Studies.Occlusion;
using NotebookSsl.Methods.RMae;
using NotebookSsl.Methods.CMae;
using NotebookSsl.Training;
using Plotly.NET.CSharp;
using Microsoft.Data.Analysis;
using static TorchSharp.torch;
using GChart = Plotly.NET.GenericChart;

if (threads > 0) set_num_threads(threads);
var clock = System.Diagnostics.Stopwatch.StartNew();
var runSize = RunSizes.Parse(size);
int[]? seedList = string.IsNullOrWhiteSpace(seeds) ? null : seeds.Split(',').Select(s => int.Parse(s.Trim())).ToArray();
var study = OcclusionStudy.Open(runSize, seedList, string.IsNullOrWhiteSpace(runs) ? null : new RunStore(runs), log: Console.WriteLine);
var recipe = study.Recipe;
var environment = RunEnvironment.Capture();
var enc = recipe.Mae.Encoder;
Console.WriteLine($"size {runSize}: {study.Train.Count} train / {study.Test.Count} held-out Fashion-MNIST images; seeds {string.Join(", ", recipe.Seeds)}");
Console.WriteLine($"encoder: {enc.Depth} blocks, width {enc.Width}, {enc.Heads} heads, {enc.GridSize}×{enc.GridSize} patches of {enc.PatchSize} px; "
    + $"MAE decoder {recipe.Mae.DecoderDepth} blocks × {recipe.Mae.DecoderWidth}; mask ratio {recipe.Mae.MaskRatio}");
Console.WriteLine($"pretraining: {Trainer.TotalSteps(study.Train.Count, recipe.Pretrain)} steps, batch {recipe.Pretrain.BatchSize}, lr {recipe.Pretrain.PeakLr:g3} "
    + $"(C-MAE and MoCo v3: lr {recipe.Contrastive.PeakLr:g3}, β2 {recipe.Contrastive.Beta2})");
Console.WriteLine($"run store: {study.Store.Root}");
Console.WriteLine($"{environment.Torch} (using {get_num_threads()} threads); {environment.Cores} cores ({environment.Cpu}); commit {environment.GitCommit?[..7] ?? "?"}");

// live loss curves: one chart per table, a line per method and seed, redrawn every 10 steps while a model trains
// (a run loaded from the store shows its saved curve)
(Action<Method, int, StepRecord> OnStep, Action<Pretrained> OnPretrained) LiveCurves(string title)
{
    var curves = new Dictionary<string, List<double>>();
    GChart Draw() => Chart.Combine(curves.Count == 0
            ? new[] { Chart.Line<int, double, string>(x: new[] { 0 }, y: new[] { 0.0 }, Name: "starting") }
            : curves.Select(kv => Chart.Line<int, double, string>(x: Enumerable.Range(1, kv.Value.Count).ToArray(), y: kv.Value.ToArray(), Name: kv.Key)))
        .WithXAxisStyle<int, int, string>(TitleText: "step").WithYAxisStyle<double, double, string>(TitleText: "loss")
        .WithSize(800, 380);
    Console.WriteLine(title);
    var handle = display(Draw());
    return ((method, seed, step) =>
    {
        var key = $"{method.Name} · seed {seed}";
        if (!curves.TryGetValue(key, out var list)) curves[key] = list = new List<double>();
        list.Add(step.Loss);
        if (list.Count % 10 == 0) handle.Update(Draw());
    }, pretrained =>
    {
        curves[$"{pretrained.Method.Name} · seed {pretrained.Seed}"] = pretrained.Metrics.Loss.ToList();
        handle.Update(Draw());
    });
}

// a probe table: mean ± std over seeds, accuracies in %
void ShowTable(IReadOnlyList<MethodRow> rows, bool fewShot = true, bool psnr = false)
{
    string F(MeanStd m, string format = "F1", double scale = 100) => double.IsNaN(m.Mean) ? "–" : m.Format(format, scale);
    var columns = new List<DataFrameColumn>
    {
        new StringDataFrameColumn("method", rows.Select(r => r.Method)),
        new StringDataFrameColumn("linear (%)", rows.Select(r => F(r.Linear))),
        new StringDataFrameColumn("fine-tune (%)", rows.Select(r => F(r.FineTune))),
    };
    if (fewShot) columns.Add(new StringDataFrameColumn("10 % fine-tune (%)", rows.Select(r => F(r.FewShot))));
    if (psnr) columns.Add(new StringDataFrameColumn("PSNR (dB)", rows.Select(r => F(r.Psnr, "F2", 1))));
    columns.Add(new StringDataFrameColumn("pretrain (s)", rows.Select(r => r.PretrainSeconds.Mean == 0 ? "–" : r.PretrainSeconds.Format("F0"))));
    columns.Add(new StringDataFrameColumn("seeds", rows.Select(r => r.Linear.Count.ToString())));
    new DataFrame(columns).Display();
}

// claims for the findings page: one value per seed on each side; the generator (nbssl findings) gives the verdict
var claims = new List<Claim>();
Claim CompareValues(string experiment, string text, string paper, string metric, string expect,
    string a, double[] aValues, string b, double[] bValues, double? tolerance = null)
{
    var claim = new Claim("03", experiment, text, paper, metric, expect, new NamedValues(a, aValues), new NamedValues(b, bValues), Tolerance: tolerance);
    claims.Add(claim);
    Console.WriteLine($"{text}: {a} {MeanStd.Of(aValues).Format("F2")} vs {b} {MeanStd.Of(bValues).Format("F2")} ({metric}; expect {expect})");
    return claim;
}
Claim Compare(string experiment, string text, string paper, string metric, string expect, IReadOnlyList<MethodRun> runs,
    string a, string b, Func<MethodRun, double> pick, double? tolerance = null) =>
    CompareValues(experiment, text, paper, metric, expect, a, OcclusionStudy.Values(runs, a, pick), b, OcclusionStudy.Values(runs, b, pick), tolerance);
double Pct(double accuracy) => accuracy * 100;
"""

def params(notebook, minutes):
    return f"""
// parameters
var size = "smoke";      // smoke (seconds, proves every cell runs) | quick (planned ≈ {minutes} min on a 2-core CPU) | full (hours on a GPU)
var seeds = "";          // seeds, comma-separated; empty: the size's own (smoke 0; quick and full 0,1,2)
var runs = "";           // folder of the run store; empty: $NBSSL_RUNS, else runs/ at the repository root
var saveResults = true;  // write notebooks/results/{notebook}-<size>.json (smoke: a temporary file)
var threads = 1;         // torch CPU threads; 0: libtorch's default. On a CPU shared with other jobs one thread keeps the time predictable
"""

def results(notebook, tables):
    return f"""
// Results of this run, with its seeds, recipe and environment (notebooks/results/ for quick and full; smoke is a check, not a result)
var results = new
{{
    notebook = "{notebook}", size = runSize.ToString().ToLowerInvariant(), seeds = recipe.Seeds, recipe, environment, torchThreads = get_num_threads(),
    elapsed_s = clock.Elapsed.TotalSeconds,
    claims,
    tables = new {{ {tables} }},
}};
if (saveResults)
{{
    var path = runSize == RunSize.Smoke ? Path.Combine(Path.GetTempPath(), "{notebook}-smoke.json") : OcclusionStudy.ResultsPath("{notebook}", runSize);
    AtomicFile.WriteJson(path, results);
    Console.WriteLine($"results written to {{path}}");
}}
Console.WriteLine($"notebook time: {{clock.Elapsed.TotalSeconds:F0}} s");
"""

CONCLUSIONS = r"""
## Conclusions

**Not yet run at quick.** The cell above prints each claim with this run's numbers; `nbssl findings` turns the quick
results JSON into verdicts. When the quick run has been made, its numbers and what they show go here.
"""

# ------------------------------------------------------------------------------------------------------------ 03a
A = []
A.append(("markdown", r"""
# 03a · MIM learns occlusion invariance: R-MAE and CKA (Table 1, Fig. 1)
""" + PAPER + HERE + "\nThis part: **R-MAE and its variants against MAE (Table 1)** and **CKA of full vs masked images (Fig. 1)**.\n" + PLAN.format(estimate=
"This part trains 12 MAE-family models (MAE, R-MAE, R-MAE†, R-MAE‡ × 3 seeds), 3 C-MAE and 3 MoCo v3 models and 3 supervised ViTs "
"(notebook 01's recipe, 512 steps), and fine-tunes 15 encoders: about 12,000 MAE-step equivalents, **≈ 20 minutes** from an empty store, "
"less when notebooks 01 or 03b have stored their runs.")))
A.append(("csharp", params("03a-occlusion-rmae-cka", 20)))
A.append(("csharp", SETUP))
A.append(("markdown", r"""
## 1 · R-MAE vs MAE (Table 1)

All four train the same MAE network (encoder + Transformer decoder, official MAE parameter names) with the same mask
ratio (0.75), images and steps; only the loss differs. **R-MAE**: the second branch sees exactly the patches the first lost
(T2 = x ⊙ (1 − M)); **R-MAE†**: an independent 25 % mask, the loss on patches masked in view 1 and visible in view 2;
**R-MAE‡**: the whole image. λ = 1, one decoder for both branches, no stop-gradient (Eq. 8 has none). PSNR is MAE's:
the reconstruction from a 75 %-masked held-out image, on the removed patches.
"""))
A.append(("csharp", r"""
var (table1Step, table1Pretrained) = LiveCurves("Table 1 pretraining (MAE loss vs R-MAE loss: different scales)");
var table1Methods = new[] { study.Mae(), study.RMae(RMaeTarget.Complement), study.RMae(RMaeTarget.RandomMask), study.RMae(RMaeTarget.Identity) };
var table1 = study.Runs(table1Methods, onStep: table1Step, onPretrained: table1Pretrained,
    onRun: r => Console.WriteLine($"  {r.Method,-16} seed {r.Seed}: fine-tune {r.FineTune:P1}, linear {r.Linear:P1}, PSNR {r.Psnr:F2} dB"));
var table1Rows = OcclusionStudy.Summarise(table1);
ShowTable(table1Rows, fewShot: false, psnr: true);
"""))
A.append(("markdown", r"""
## 2 · CKA between the features of full and masked images (Fig. 1)

For each encoder, each block and each mask ratio 0.1 … 0.9: linear CKA between the mean patch token of the full held-out
images and that of the same images masked. A masked image is given as MAE gives it, the encoder sees only the visible
patches, so every model is measured alike (C-MAE was trained with mask tokens, so this is not its training input; the
paper does not say how it fed masked images). Encoders: MAE and R-MAE (Table 1's runs), C-MAE (03b's default run),
MoCo v3, the supervised ViT of notebook 01 (its recipe and run key), and a random initialisation for reference.
"""))
A.append(("csharp", r"""
var (ckaStep, ckaPretrained) = LiveCurves("Pretraining C-MAE and MoCo v3 (contrastive losses)");
var ckaCurves = new List<CkaCurve>();
void Measure(string name, NotebookSsl.Models.VisionTransformer encoder, int seed)
{
    var curve = study.CkaOf(name, encoder, seed);
    ckaCurves.Add(curve);
    Console.WriteLine($"  {name,-12} seed {seed}: mean CKA {curve.Mean:F3}; last block at ratio {recipe.CkaRatios[^1]}: {curve.LastBlock[^1]:F3}");
}
foreach (var method in new[] { study.Mae(), study.RMae(), study.CMae(), study.MocoV3() })
    foreach (var seed in recipe.Seeds)
    {
        using var pretrained = study.Pretrain(method, seed, onStep: s => ckaStep(method, seed, s));
        ckaPretrained(pretrained);
        Measure(method.Name, pretrained.Encoder, seed);
    }
foreach (var seed in recipe.Seeds)
{
    var supervised = study.Supervised(seed);
    Console.WriteLine($"  supervised ViT seed {seed}: {(supervised.Loaded ? "loaded" : "trained")}, held-out accuracy {supervised.Metrics.TestAccuracy:P1}");
    Measure("supervised", supervised.Model.Encoder, seed);
    supervised.Model.Dispose();
    using var random = NotebookSsl.Probes.RandomInit.Encoder(enc, seed);
    Measure("random init", random, seed);
}
var ckaMethods = ckaCurves.Select(c => c.Method).Distinct().ToArray();
double[] ckaRatios = recipe.CkaRatios.ToArray();
// mean over seeds: [method][ratio][block]
double[][][] ckaMean = ckaMethods.Select(m => ckaRatios.Select((_, r) => Enumerable.Range(0, enc.Depth)
    .Select(b => ckaCurves.Where(c => c.Method == m).Average(c => c.Cka[r][b])).ToArray()).ToArray()).ToArray();
double[][] ckaLastBlock = ckaMean.Select(m => m.Select(r => r[^1]).ToArray()).ToArray();
// per block, a panel per method, a line per mask ratio (the layout of the paper's Fig. 1)
display(Chart.Grid(ckaMethods.Select((m, i) => (GChart)Chart.Combine(ckaRatios.Select((ratio, r) =>
        Chart.Line<int, double, string>(x: Enumerable.Range(1, enc.Depth).ToArray(), y: ckaMean[i][r], Name: $"ratio {ratio:F1}", ShowMarkers: true,
            ShowLegend: i == 0)))), nRows: 1, nCols: ckaMethods.Length, SubPlotTitles: ckaMethods)
    .WithSize(260 * ckaMethods.Length + 80, 360));
"""))
A.append(("fsharp", r"""
#!share --from csharp ckaMethods
#!share --from csharp ckaRatios
#!share --from csharp ckaLastBlock
open Plotly.NET
// one line per method: a curve that drops with the ratio is an encoder whose features change when patches are hidden
Array.zip ckaMethods ckaLastBlock
|> Array.map (fun (m, ys) -> Chart.Line(x = ckaRatios, y = ys, Name = m, ShowMarkers = true))
|> Chart.combine
|> Chart.withXAxisStyle ("mask ratio of the masked image")
|> Chart.withYAxisStyle ("CKA, full vs masked (last block)")
|> Chart.withTitle "Fig. 1: occlusion invariance of the last block"
|> Chart.withSize (750, 420)
|> display
|> ignore
"""))
A.append(("markdown", r"""
## Does the finding hold here?

Each claim with this run's values per seed (fine-tune accuracy in %, PSNR in dB, CKA averaged over blocks and mask
ratios). "About as well" claims carry a tolerance of 1 point of accuracy.
"""))
A.append(("csharp", r"""
var e1 = "R-MAE (Eq. 8, Table 1)";
Compare(e1, "R-MAE fine-tunes about as well as MAE", "FT 82.7 (R-MAE) vs 83.1 (MAE)", "fine-tune accuracy (%)", "a~b", table1, "R-MAE", "MAE", r => Pct(r.FineTune), 1.0);
Compare(e1, "R-MAE† (T2 a random 25 % mask) fine-tunes about as well as MAE", "FT 82.8 (R-MAE†) vs 83.1 (MAE)", "fine-tune accuracy (%)", "a~b", table1, "R-MAE†", "MAE", r => Pct(r.FineTune), 1.0);
Compare(e1, "R-MAE‡ (T2 the identity) fine-tunes about as well as MAE", "FT 82.7 (R-MAE‡) vs 83.1 (MAE)", "fine-tune accuracy (%)", "a~b", table1, "R-MAE‡", "MAE", r => Pct(r.FineTune), 1.0);
Compare(e1, "R-MAE reconstructs the masked patches better than MAE", "PSNR 23.7 (R-MAE) vs 22.2 dB (MAE)", "PSNR on removed patches (dB)", "a>b", table1, "R-MAE", "MAE", r => r.Psnr);
Compare(e1, "R-MAE pretraining beats a random initialisation after fine-tuning", "FT 82.7 (R-MAE, 100 ep) vs 80.9 (random init, 100 ep)", "fine-tune accuracy (%)", "a>b", table1, "R-MAE", "random init", r => Pct(r.FineTune));
double[] CkaMeans(string method) => ckaCurves.Where(c => c.Method == method).OrderBy(c => c.Seed).Select(c => c.Mean).ToArray();
var e2 = "CKA masked vs full (Fig. 1)";
foreach (var (a, b) in new[] { ("MAE", "supervised"), ("MAE", "MoCo v3"), ("R-MAE", "supervised"), ("C-MAE", "supervised"), ("R-MAE", "MoCo v3"), ("C-MAE", "MoCo v3") })
    CompareValues(e2, $"{a}'s features of masked images stay closer to those of full images than {b}'s", $"Fig. 1: {a} stays high, {b} drops (most at ratio 0.9)",
        "linear CKA full vs masked, mean over blocks and ratios", "a>b", a, CkaMeans(a), b, CkaMeans(b));
"""))
A.append(("csharp", results("03a-occlusion-rmae-cka",
    "table1 = table1Rows, table1Runs = table1, cka = new { methods = ckaMethods, ratios = ckaRatios, meanOverSeeds = ckaMean, curves = ckaCurves }")))
A.append(("markdown", CONCLUSIONS))

# ------------------------------------------------------------------------------------------------------------ 03b
B = []
B.append(("markdown", r"""
# 03b · MIM learns occlusion invariance: C-MAE against MAE (Tables 2 and 4)
""" + PAPER + HERE + "\nThis part: **C-MAE against MAE (Table 2)** and **linear, fine-tune and 10 % fine-tune of the MAE and C-MAE variants (Table 4)**.\n" + PLAN.format(estimate=
"This part trains 15 models (MAE, MAE + colour jitter, C-MAE, C-MAE without mask tokens, C-MAE with BYOL's loss × 3 seeds) and probes "
"18 encoders (random init included): about 8,500 MAE-step equivalents, **≈ 14 minutes** from an empty store.")))
B.append(("csharp", params("03b-occlusion-cmae", 14)))
B.append(("csharp", SETUP))
B.append(("markdown", r"""
## C-MAE and its Table 4 variants

**C-MAE**: view 1 keeps a random 25 % of the patches, view 2 the other 75 %; each view gets colour jitter after masking
(brightness and contrast: the images are grey); the online encoder puts a learnable mask token at every masked position,
so both views give 1 + 49 tokens; a 2-layer GELU projector and predictor; an EMA target (momentum 0.99 here, raised to 1
by a half cosine: the paper's 0.996 would barely move the target in 256 steps); InfoNCE with τ = 0.2 on every patch token,
each token's negatives the same position in the other images, symmetrised as in MoCo v3.
**C-MAE w/o mask tokens**: the encoder sees only its visible patches, as MAE's does; the mask tokens enter after it, in a
one-block neck that rebuilds the 49-token map for the token-wise loss (our reading: the paper does not say).
**C-MAE (BYOL loss)**: 2 − 2·cos instead of InfoNCE. **MAE + colour jitter**: the whole image jittered before MAE.
"""))
B.append(("csharp", r"""
var (table4Step, table4Pretrained) = LiveCurves("Table 2/4 pretraining (MAE: pixel MSE; C-MAE: InfoNCE or BYOL)");
var table4Methods = new[]
{
    study.Mae(), study.Mae(MaeAugment.ColorJitter), study.CMae(),
    study.CMae("C-MAE w/o mask tokens", c => c with { MaskTokens = false }),
    study.CMae("C-MAE (BYOL loss)", c => c with { Loss = CMaeLoss.Byol }),
};
var table4 = study.Runs(table4Methods, onStep: table4Step, onPretrained: table4Pretrained,
    onRun: r => Console.WriteLine($"  {r.Method,-22} seed {r.Seed}: linear {r.Linear:P1}, fine-tune {r.FineTune:P1}, 10 % fine-tune {r.FewShot:P1}"));
var table4Rows = OcclusionStudy.Summarise(table4);
"""))
B.append(("markdown", r"""
## Table 2 · C-MAE vs MAE (fine-tune)
"""))
B.append(("csharp", r"""
ShowTable(table4Rows.Where(r => r.Method is "MAE" or "C-MAE" or "random init" or "raw pixels").ToList(), fewShot: false);
"""))
B.append(("markdown", r"""
## Table 4 · linear probe, fine-tune, 10 % fine-tune
"""))
B.append(("csharp", r"""
ShowTable(table4Rows);
"""))
B.append(("markdown", r"""
## Does the finding hold here?

Each claim with this run's values per seed (accuracies in %). "About as well" claims carry a tolerance of 1 point.
"""))
B.append(("csharp", r"""
Compare("C-MAE (Eq. 9–11, Table 2)", "C-MAE fine-tunes about as well as MAE", "FT 82.9 (C-MAE) vs 83.1 (MAE), 100 epochs", "fine-tune accuracy (%)", "a~b", table4, "C-MAE", "MAE", r => Pct(r.FineTune), 1.0);
Compare("C-MAE (Eq. 9–11, Table 2)", "C-MAE pretraining beats a random initialisation after fine-tuning", "FT 82.9 (C-MAE) vs 80.9 (random init)", "fine-tune accuracy (%)", "a>b", table4, "C-MAE", "random init", r => Pct(r.FineTune));
var e4 = "Linear, FT, 10% FT (Table 4)";
Compare(e4, "C-MAE is weaker than MAE under linear probing", "linear 41.1 (C-MAE) vs 54.5 (MAE)", "linear-probe accuracy (%)", "a<b", table4, "C-MAE", "MAE", r => Pct(r.Linear));
Compare(e4, "C-MAE is weaker than MAE after fine-tuning on 10 % of the labels", "10% FT 66.4 (C-MAE) vs 67.5 (MAE)", "10 % fine-tune accuracy (%)", "a<b", table4, "C-MAE", "MAE", r => Pct(r.FewShot));
Compare(e4, "Removing the mask tokens from C-MAE's encoder recovers its linear probe", "linear 56.2 (w/o mask token) vs 41.1 (C-MAE)", "linear-probe accuracy (%)", "a>b", table4, "C-MAE w/o mask tokens", "C-MAE", r => Pct(r.Linear));
Compare(e4, "Removing the mask tokens from C-MAE's encoder recovers its 10 % fine-tune", "10% FT 67.5 (w/o mask token) vs 66.4 (C-MAE)", "10 % fine-tune accuracy (%)", "a>b", table4, "C-MAE w/o mask tokens", "C-MAE", r => Pct(r.FewShot));
Compare(e4, "C-MAE with BYOL's loss fine-tunes about as well as with InfoNCE", "BYOL 'similar trend, slightly lower' than InfoNCE (82.9 FT)", "fine-tune accuracy (%)", "a~b", table4, "C-MAE (BYOL loss)", "C-MAE", r => Pct(r.FineTune), 1.0);
Compare(e4, "Colour jitter does not improve MAE", "FT 83.1 (MAE + jitter, whole image) vs 83.1 (MAE)", "fine-tune accuracy (%)", "a~b", table4, "MAE + colour jitter", "MAE", r => Pct(r.FineTune), 1.0);
"""))
B.append(("csharp", results("03b-occlusion-cmae", "table2and4 = table4Rows, runs = table4")))
B.append(("markdown", CONCLUSIONS))

# ------------------------------------------------------------------------------------------------------------ 03c
C = []
C.append(("markdown", r"""
# 03c · MIM learns occlusion invariance: C-MAE ablations (Tables 3 and 5)
""" + PAPER + HERE + "\nThis part: **token-wise vs instance-wise C-MAE losses (Table 3)** and **augmentation compositions for MAE and C-MAE (Table 5)**.\n" + PLAN.format(estimate=
"To fit, this part uses **two seeds at quick** (0 and 1; the error bars are the spread of two runs) and a **reduced Table 5 grid** (below). It "
"trains 18 models (4 C-MAE loss variants, 4 Table 5 variants, MAE, MAE + colour jitter, × 2 seeds; the default C-MAE and the MAEs are shared "
"with 03a/03b) and probes 20 encoders: about 12,000 MAE-step equivalents, **≈ 20 minutes** from an empty store, ≈ 13 minutes after 03b.")))
C.append(("csharp", params("03c-occlusion-ablations", 20)))
C.append(("csharp", SETUP))
C.append(("csharp", r"""
// the ablations run on two seeds at quick (the first two of the size's seeds) to fit the 20-minute budget
var ablationSeeds = runSize == RunSize.Quick && seedList is null ? recipe.Seeds.Take(2).ToArray() : recipe.Seeds.ToArray();
Console.WriteLine($"ablation seeds: {string.Join(", ", ablationSeeds)}");
"""))
C.append(("markdown", r"""
## Table 3 · token-wise vs instance-wise loss

The same C-MAE with the loss on the **cls token**, the **mean patch token** (both instance-wise: one vector per image),
**every patch token** (the default) or **every patch token and the cls token** (the terms averaged).
"""))
C.append(("csharp", r"""
var (table3Step, table3Pretrained) = LiveCurves("Table 3 pretraining (InfoNCE on different tokens)");
var table3Methods = new[]
{
    study.CMae("instance-wise: cls token", c => c with { Tokens = CMaeTokens.Cls }),
    study.CMae("instance-wise: mean token", c => c with { Tokens = CMaeTokens.MeanToken }),
    study.CMae("token-wise: patch tokens"),
    study.CMae("token-wise: tokens + cls", c => c with { Tokens = CMaeTokens.TokensAndCls }),
};
var table3 = study.Runs(table3Methods, onStep: table3Step, onPretrained: table3Pretrained, seeds: ablationSeeds,
    onRun: r => Console.WriteLine($"  {r.Method,-26} seed {r.Seed}: fine-tune {r.FineTune:P1}, linear {r.Linear:P1}"));
var table3Rows = OcclusionStudy.Summarise(table3);
ShowTable(table3Rows);
"""))
C.append(("markdown", r"""
## Table 5 · augmentation compositions (reduced grid)

The paper crosses patch masking × cutmix × colour jitter (8 cells per method). Here a **reduced grid** of four cells per
method tests its two statements: *removing masking costs the most* and *cutmix and colour help C-MAE but not MAE*.

| cell | MAE | C-MAE |
|---|---|---|
| masking | MAE | C-MAE without colour jitter |
| masking + colour | MAE + colour jitter | C-MAE (default) |
| masking + cutmix + colour | MAE + cutmix + colour | C-MAE + cutmix |
| colour, no masking | autoencoder of jittered images, loss on every patch | two jittered full views, no mask tokens used |

CutMix (α = 1) pastes a box from another image of the batch before the views are made, so both views share it.
"""))
C.append(("csharp", r"""
var (table5Step, table5Pretrained) = LiveCurves("Table 5 pretraining");
var table5Methods = new[]
{
    study.Mae(), study.Mae(MaeAugment.ColorJitter), study.Mae(MaeAugment.CutMixColorJitter), study.Mae(MaeAugment.NoMaskColorJitter),
    study.CMae("C-MAE without colour", c => c with { ColorJitter = false }), study.CMae(),
    study.CMae("C-MAE + cutmix", c => c with { CutMix = true }), study.CMae("C-MAE colour, no masking", c => c with { Masking = false }),
};
var table5 = study.Runs(table5Methods, onStep: table5Step, onPretrained: table5Pretrained, seeds: ablationSeeds, baselines: false,
    onRun: r => Console.WriteLine($"  {r.Method,-26} seed {r.Seed}: fine-tune {r.FineTune:P1}, linear {r.Linear:P1}"));
var table5Rows = OcclusionStudy.Summarise(table5.Concat(table3.Where(r => r.Method is "random init" or "raw pixels")));
ShowTable(table5Rows);
"""))
C.append(("markdown", r"""
## Does the finding hold here?

Each claim with this run's values per seed (fine-tune accuracy in %).
"""))
C.append(("csharp", r"""
var e3 = "Token-wise vs instance-wise (Table 3)";
Compare(e3, "A token-wise loss on the patch tokens fine-tunes better than one on the cls token", "FT 82.9 (token-wise) vs 82.5 (cls token)", "fine-tune accuracy (%)", "a>b", table3, "token-wise: patch tokens", "instance-wise: cls token", r => Pct(r.FineTune));
Compare(e3, "A token-wise loss on the patch tokens fine-tunes better than one on the mean token", "FT 82.9 (token-wise) vs 82.6 (mean token)", "fine-tune accuracy (%)", "a>b", table3, "token-wise: patch tokens", "instance-wise: mean token", r => Pct(r.FineTune));
Compare(e3, "Adding the cls token to the token-wise loss changes nothing", "FT 82.9 (tokens + cls) vs 82.9 (tokens)", "fine-tune accuracy (%)", "a~b", table3, "token-wise: tokens + cls", "token-wise: patch tokens", r => Pct(r.FineTune), 1.0);
var e5 = "Augmentation compositions (Table 5)";
Compare(e5, "Removing patch masking costs MAE (both with colour jitter)", "Table 5: without masking MAE drops the most (e.g. 71.9 vs 87.1)", "fine-tune accuracy (%)", "a<b", table5, "AE + colour (no masking)", "MAE + colour jitter", r => Pct(r.FineTune));
Compare(e5, "Removing patch masking costs C-MAE (both with colour jitter)", "Table 5: without masking C-MAE drops the most (e.g. 80.0 vs 86.5)", "fine-tune accuracy (%)", "a<b", table5, "C-MAE colour, no masking", "C-MAE", r => Pct(r.FineTune));
Compare(e5, "Cutmix and colour jitter help C-MAE", "Table 5: C-MAE gains with cutmix and colour (up to 87.1)", "fine-tune accuracy (%)", "a>b", table5, "C-MAE + cutmix", "C-MAE without colour", r => Pct(r.FineTune));
Compare(e5, "Cutmix and colour jitter do not help MAE", "Table 5: MAE does not gain from extra augmentation", "fine-tune accuracy (%)", "a~b", table5, "MAE + cutmix + colour", "MAE", r => Pct(r.FineTune), 1.0);
"""))
C.append(("csharp", results("03c-occlusion-ablations", "table3 = table3Rows, table3Runs = table3, table5 = table5Rows, table5Runs = table5, ablationSeeds")))
C.append(("markdown", CONCLUSIONS))

# ------------------------------------------------------------------------------------------------------------ write
def write(name, cells):
    out = ['#!meta\n\n{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"},{"aliases":[],"name":"fsharp"}]}}\n']
    for kind, text in cells:
        out.append(f"#!{kind}\n\n{text.strip(chr(10))}\n")
    path = pathlib.Path(__file__).resolve().parent.parent / name
    path.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {path}")

write("03a-occlusion-rmae-cka.dib", A)
write("03b-occlusion-cmae.dib", B)
write("03c-occlusion-ablations.dib", C)
