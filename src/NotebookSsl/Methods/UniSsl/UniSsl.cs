using NotebookSsl.Data;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Methods.UniSsl;

/// <summary>
/// Uni-SSL (lc-mae-uni-ssl §3). The paper publishes no code; every choice it leaves open is named here.
/// </summary>
public sealed record UniSslConfig
{
    /// <summary>Encoder, DINO head, temperatures, centre, EMA and the two-view recipe (overlap ≥ 30 %): the paper keeps DINO's.</summary>
    public DinoConfig Dino { get; init; } = new();
    /// <summary>K: K×K sampling points spread evenly over the overlap (the paper's default 5, best 6 on a 14×14 grid).</summary>
    public int Points { get; init; } = 5;
    /// <summary>
    /// S in tokens: the pixel target of each student token is the (S·p)×(S·p) window centred on its patch (the paper's
    /// S = 80, 48, 16 px with p = 16 are 5, 3, 1 tokens; default 5, its best). Odd, so the window has a centre token.
    /// </summary>
    public int WindowTokens { get; init; } = 5;
    /// <summary>Weight of L_pixel in Eq. 11 (the paper: 1).</summary>
    public double PixelWeight { get; init; } = 1.0;
    /// <summary>
    /// Eq. 11 writes one direction: student on x1, teacher on x2, pixels of x1. true (default) adds the mirrored terms
    /// (student on x2 against teacher on x1, pixels of x2), as DINO symmetrises its loss over the two crops, so Uni-SSL and
    /// DINO see the same two views through the same student passes. false is Eq. 11 literally.
    /// </summary>
    public bool Symmetric { get; init; } = true;

    public UniSslConfig Validate()
    {
        Dino.Validate();
        if (Points < 1) throw new ArgumentException($"Points (K) must be at least 1, got {Points}.");
        if (WindowTokens < 1 || WindowTokens % 2 == 0) throw new ArgumentException($"WindowTokens (S) must be odd and positive, got {WindowTokens}.");
        if (PixelWeight < 0) throw new ArgumentException($"PixelWeight must be >= 0, got {PixelWeight}.");
        return this;
    }

    /// <summary>Pixel values a student token predicts: C·(S·p)².</summary>
    public int TargetDim => Dino.Encoder.Channels * (WindowTokens * Dino.Encoder.PatchSize) * (WindowTokens * Dino.Encoder.PatchSize);
}

/// <summary>The losses of one Uni-SSL step.</summary>
/// <param name="Loss">L_sim + λ·L_pixel (scalar, with gradient).</param>
/// <param name="Sim">L_sim (Eq. 9), detached.</param>
/// <param name="Pixel">L_pixel (Eq. 10), detached.</param>
public sealed record UniSslLosses(Tensor Loss, Tensor Sim, Tensor Pixel);

/// <summary>
/// Uni-SSL: two views with a known overlap; student (ViT + DINO head + linear pixel predictor) and EMA teacher
/// (ViT + DINO head). K×K points spread over the overlap are mapped into each view's token grid (crop, scale and flip),
/// the student's and the teacher's dense token maps are read there with <c>grid_sample</c> (bilinear,
/// <c>align_corners: false</c>: ±1 are the outer edges of the first and last token, so the token grid and the view's
/// pixels share coordinates; border padding, though points lie inside the grid), and each sampled pair gets DINO's head
/// and loss (Eq. 9). A linear layer on every student token predicts the S·p × S·p pixel window centred on it,
/// <c>unfold(x1, S)</c> with zero padding at the image border (Eq. 10). Loss: Eq. 11. Trained as DINO is
/// (<see cref="Training.EmaTraining"/>): ClipGrad clips each parameter's gradient norm (student and pixel predictor) on its own.
/// Names: student.backbone.*, student.head.*, pixel_pred.*, teacher.*, dino_loss.center.
/// </summary>
public sealed class UniSslModel : Module
{
    readonly BackboneWithHead student;
    readonly BackboneWithHead teacher;
    readonly Linear pixel_pred;
    readonly DinoLoss dino_loss;
    readonly Ema ema;

    /// <summary>Builds student and teacher (seed the global generator first); the teacher starts as a copy.</summary>
    public UniSslModel(UniSslConfig config) : base(nameof(UniSslModel))
    {
        Config = config.Validate();
        var d = config.Dino;
        student = new(new VisionTransformer(d.Encoder), new DinoHead(d.Encoder.Width, d.OutDim, d.HiddenDim, d.BottleneckDim, d.NormLastLayer, d.UseBnInHead));
        teacher = new(new VisionTransformer(d.Encoder), new DinoHead(d.Encoder.Width, d.OutDim, d.HiddenDim, d.BottleneckDim, d.NormLastLayer, d.UseBnInHead));
        pixel_pred = Init.Linear(d.Encoder.Width, config.TargetDim);
        dino_loss = new DinoLoss(d.OutDim, d.StudentTemp, d.CenterMomentum);
        RegisterComponents();
        using (no_grad())
        {
            Init.XavierUniform(pixel_pred.weight!);   // as MAE's decoder_pred
            init.zeros_(pixel_pred.bias!);
        }
        ema = new Ema(teacher, student);
    }

    public UniSslConfig Config { get; }
    public BackboneWithHead Student => student;
    public BackboneWithHead Teacher => teacher;
    public DinoLoss Loss => dino_loss;
    /// <summary>The encoder to probe: the teacher's backbone (as DINO; the paper does not say which it fine-tunes).</summary>
    public VisionTransformer Encoder => teacher.Backbone;
    public long ParameterCount => student.parameters().Concat(pixel_pred.parameters()).Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>The loss of one batch at the given epoch (τ_t); views drawn from <paramref name="generator"/>.</summary>
    public UniSslLosses Forward(Tensor images, Generator generator, int epoch = 0)
    {
        Shapes.Image(images, Config.Dino.Encoder);
        using var views = Config.Dino.Views().Apply(images, generator);
        return Forward(views, epoch);
    }

    /// <summary>The loss of two views already drawn (e.g. to replay or draw them).</summary>
    public UniSslLosses Forward(ViewPair views, int epoch = 0)
    {
        var d = Config.Dino;
        Shapes.Image(views.View1, d.Encoder, "views.View1");
        Shapes.Image(views.View2, d.Encoder, "views.View2");
        int k = Config.Points;
        long n = views.View1.shape[0];
        bool both = Config.Symmetric;

        // dense token maps: the student on x1 (and x2), the teacher on x2 (and x1), without gradient
        var studentIn = both ? cat(new[] { views.View1, views.View2 }, 0) : views.View1;
        var teacherIn = both ? cat(new[] { views.View2, views.View1 }, 0) : views.View2;
        var zs = student.Backbone.forward(studentIn);                                        // [B, 1+L, D]  (B = N or 2N)
        Tensor zt;
        using (no_grad()) zt = teacher.Backbone.forward(teacherIn);                         // [B, 1+L, D]

        // the same K×K overlap points located in each view: [B, K, K, 2]
        var grid1 = views.Grid(1, k);
        var grid2 = views.Grid(2, k);
        var gridS = both ? cat(new[] { grid1, grid2 }, 0) : grid1;
        var gridT = both ? cat(new[] { grid2, grid1 }, 0) : grid2;

        // positive pairs: both maps read at the points (Eq. 8), each through its DINO head
        var ps = student.Head.forward(SampleTokens(zs, gridS));                              // [B·K², out]
        Tensor pt;
        using (no_grad()) pt = teacher.Head.forward(SampleTokens(zt, gridT));               // [B·K², out]

        // L_sim (Eq. 9): row r of the student's and the teacher's outputs is the same image point
        var temp = DinoLoss.TeacherTemperature(epoch, d.WarmupTeacherTemp, d.TeacherTemp, d.WarmupTeacherTempEpochs);
        var sim = dino_loss.Forward([ps], [pt], temp, skipSameCrop: false);

        // L_pixel (Eq. 10): every student token predicts the pixel window centred on it
        var pred = pixel_pred.forward(zs[.., 1..]);                                        // [B, L, C·(Sp)²]
        var target = UnfoldTargets(studentIn, d.Encoder.PatchSize, Config.WindowTokens);   // [B, L, C·(Sp)²]
        var pixel = functional.mse_loss(pred, target);

        // Eq. 11
        return new UniSslLosses(sim + Config.PixelWeight * pixel, sim.detach(), pixel.detach());
    }

    /// <summary>
    /// Tokens [B, 1+L, D] (cls first, L = g²) read at normalised points [B, K, K, 2] by bilinear grid_sample
    /// (align_corners false, border padding): [B·K², D], row-major per image.
    /// </summary>
    public static Tensor SampleTokens(Tensor tokens, Tensor grid)
    {
        long b = tokens.shape[0], d = tokens.shape[2];
        int g = (int)Math.Round(Math.Sqrt(tokens.shape[1] - 1));
        if (tokens.dim() != 3 || g * g != tokens.shape[1] - 1)
            throw new ArgumentException($"tokens must be [B, 1+g², D], got {Shapes.Of(tokens)}.");
        if (grid.dim() != 4 || grid.shape[0] != b || grid.shape[3] != 2)
            throw new ArgumentException($"grid must be [{b}, K, K, 2], got {Shapes.Of(grid)}.");
        var map = tokens[.., 1..].transpose(1, 2).reshape(b, d, g, g);                         // [B, D, g, g]
        var sampled = functional.grid_sample(map, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false); // [B, D, K, K]
        return sampled.flatten(2).transpose(1, 2).reshape(-1, d);                             // [B·K², D]
    }

    /// <summary>
    /// unfold(x, S) of Eq. 10: for each patch of <paramref name="images"/> [B, C, H, W] (row-major over the g×g grid),
    /// the (S·p)×(S·p) pixel window centred on it, zero outside the image, flattened channel-major (C, rows, columns):
    /// [B, L, C·(Sp)²].
    /// </summary>
    public static Tensor UnfoldTargets(Tensor images, int patchSize, int windowTokens)
    {
        if (images.dim() != 4) throw new ArgumentException($"images must be [B, C, H, W], got {Shapes.Of(images)}.");
        if (windowTokens < 1 || windowTokens % 2 == 0) throw new ArgumentException($"the window must be an odd number of tokens, got {windowTokens}.");
        if (images.shape[2] % patchSize != 0 || images.shape[3] % patchSize != 0)
            throw new ArgumentException($"the patch size {patchSize} must divide the image size {Shapes.Of(images)}.");
        long kernel = windowTokens * patchSize, pad = (windowTokens - 1) / 2 * patchSize;
        return functional.unfold(images, kernel, padding: pad, stride: patchSize)   // [B, C·(Sp)², L]
            .transpose(1, 2);                                                      // [B, L, C·(Sp)²]
    }

    /// <summary>teacher ← m·teacher + (1 − m)·student.</summary>
    public void UpdateTeacher(double momentum) => ema.Update(momentum);

    /// <summary>
    /// Lazily trains the student and the pixel predictor (AdamW) and moves the teacher by EMA after each step (cosine
    /// momentum schedule from <see cref="DinoConfig.TeacherMomentum"/> to 1). <paramref name="onLosses"/> sees L_sim
    /// and L_pixel of each step. Enumerate to run.
    /// </summary>
    public IEnumerable<StepRecord> Steps(Tensor images, TrainConfig train, Action<double, double>? onLosses = null, CancellationToken cancel = default)
    {
        var trainable = student.named_parameters().Select(np => ("student." + np.name, np.parameter))
            .Concat(pixel_pred.named_parameters().Select(np => ("pixel_pred." + np.name, np.parameter)));
        return EmaTraining.Steps(this, trainable, images, train, (x, g, epoch) =>
        {
            var losses = Forward(x, g, epoch);
            onLosses?.Invoke(losses.Sim.item<float>(), losses.Pixel.item<float>());
            return losses.Loss;
        }, Config.Dino.TeacherMomentum, UpdateTeacher, student.Head.LastLayer.WeightV, Config.Dino.FreezeLastLayerEpochs, cancel);
    }

}
