using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Tests.Training;

/// <summary>
/// The one loop against straightforward hand-written loops of the same semantics (MAE's AdamW groups, warmup then
/// cosine, clipping, the run's generator drawing the data order and then the loss's noise), bit for bit.
/// </summary>
public class TrainerLoopTests
{
    static readonly TrainConfig Config = new()
    {
        Epochs = 3, BatchSize = 8, Lr = 3e-2, MinLr = 1e-4, WarmupEpochs = 0.5, WeightDecay = 0.05, Beta2 = 0.95, ClipGrad = 0.5, Seed = 7,
    };

    static Sequential Tiny() => Seeds.Build(3, () => Sequential(Init.Linear(6, 8), ReLU(), Init.Linear(8, 3)));

    /// <summary>Cross-entropy scaled by a draw from the run's generator, so that the order of the generator's draws matters.</summary>
    static Tensor LossOf(Sequential model, Tensor x, Tensor? y, Generator g) =>
        functional.cross_entropy(model.forward(x), y!) * (1 + 0.5 * rand(1, generator: g));

    /// <summary>MAE's schedule, written out: linear warmup to the peak, then a half cosine to MinLr, at fractional epoch t.</summary>
    static double Lr(double t, double epochs, double warmup) =>
        t < warmup ? Config.PeakLr * t / warmup
                   : Config.MinLr + (Config.PeakLr - Config.MinLr) * 0.5 * (1 + Math.Cos(Math.PI * (t - warmup) / (epochs - warmup)));

    /// <summary>One reference step: weights decay, biases do not; clip globally or each parameter as DINO's utils.clip_gradients.</summary>
    sealed class Reference
    {
        readonly Sequential model;
        readonly optim.Optimizer optimizer;
        public int Clipped, Unclipped;   // how often clipping changed a gradient (global: steps; per parameter: parameters)

        public Reference(Sequential model)
        {
            this.model = model;
            var weights = model.named_parameters().Where(p => p.name.EndsWith("weight")).Select(p => p.parameter);
            var biases = model.named_parameters().Where(p => p.name.EndsWith("bias")).Select(p => p.parameter);
            optimizer = optim.AdamW([new AdamW.ParamGroup(weights, new AdamW.Options { weight_decay = Config.WeightDecay }),
                new AdamW.ParamGroup(biases, new AdamW.Options { weight_decay = 0 })], Config.PeakLr, Config.Beta1, Config.Beta2, weight_decay: Config.WeightDecay);
        }

        public double Step(double lr, Func<Tensor> loss, bool perParameter)
        {
            using var scope = NewDisposeScope();
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            optimizer.zero_grad();
            var l = loss();
            l.backward();
            if (perParameter)
                foreach (var p in model.parameters())
                {
                    var coef = (p.grad!.norm() + 1e-6).reciprocal() * Config.ClipGrad!.Value;   // clip / (‖g‖ + 1e-6), as PyTorch divides
                    if (coef.item<float>() < 1) { p.grad.mul_(coef); Clipped++; }
                    else Unclipped++;
                }
            else if (nn.utils.clip_grad_norm_(model.parameters(), Config.ClipGrad!.Value) > Config.ClipGrad) Clipped++;
            else Unclipped++;
            optimizer.step();
            return l.item<float>();
        }
    }

    static void AssertBitIdentical(Module a, Module b)
    {
        foreach (var ((name, x), (_, y)) in a.named_parameters().Zip(b.named_parameters()))
            Assert.Equal(y.data<float>().ToArray(), x.data<float>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_on_images_in_memory_is_the_hand_written_loop_bit_for_bit(bool perParameter)
    {
        using var scope = NewDisposeScope();
        var images = rand(24, 6, generator: new Generator(1));                 // 3 steps an epoch
        var labels = randint(3, [24], generator: new Generator(2));

        using var model = Tiny();
        var clipping = perParameter ? Trainer.Clipping.PerParameter : Trainer.Clipping.GlobalNorm;
        var losses = Trainer.ImageSteps(model, images, labels, (x, y, g) => LossOf(model, x, y, g), Config, clipping).Select(r => r.Loss).ToList();

        using var reference = Tiny();
        var run = new Reference(reference);
        var generator = new Generator((ulong)Config.Seed);
        var expected = new List<double>();
        for (int epoch = 0; epoch < Config.Epochs; epoch++)
        {
            var order = randperm(24, generator: generator);
            for (int i = 0; i < 3; i++)
            {
                var index = order[(i * 8)..((i + 1) * 8)];
                expected.Add(run.Step(Lr(epoch + (double)i / 3, Config.Epochs, Config.WarmupEpochs),
                    () => LossOf(reference, images.index_select(0, index), labels.index_select(0, index), generator), perParameter));
            }
        }
        Assert.True(run.Clipped > 0 && run.Unclipped > 0, $"clipping should act sometimes, not always ({run.Clipped} clipped, {run.Unclipped} not)");
        Assert.Equal(expected, losses);
        AssertBitIdentical(model, reference);
    }

    [Fact]
    public void Training_on_a_stream_is_the_hand_written_loop_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        IEnumerable<Tensor> Stream()
        {
            var own = new Generator(11);   // the stream's generator, not the run's
            while (true) yield return rand(8, 6, generator: own);
        }
        Tensor Target(Tensor x) => (x.sum(1) * 2).floor().remainder(3).to_type(ScalarType.Int64);   // [8] classes from the inputs
        var budget = new StepBudget(9, 3);

        using var model = Tiny();
        var losses = Trainer.StreamSteps(model, Stream(), (x, g) => LossOf(model, x, Target(x), g), Config, budget).Select(r => r.Loss).ToList();

        using var reference = Tiny();
        var run = new Reference(reference);
        var generator = new Generator((ulong)Config.Seed);
        var expected = new List<double>();
        using var stream = Stream().GetEnumerator();
        for (int step = 0; step < budget.Steps; step++)
        {
            stream.MoveNext();
            var x = stream.Current;
            expected.Add(run.Step(Lr(step, budget.Steps, budget.WarmupSteps), () => LossOf(reference, x, Target(x), generator), perParameter: false));
        }
        Assert.True(run.Clipped > 0);
        Assert.Equal(expected, losses);
        AssertBitIdentical(model, reference);
    }

    [Fact]
    public void Per_parameter_clipping_leaves_a_small_gradient_alone_where_global_clipping_shrinks_it()
    {
        using var scope = NewDisposeScope();
        Parameter Grad(float value)
        {
            var p = new Parameter(zeros(4));
            p.grad = full(4, value);   // ‖g‖ = 2·value
            return p;
        }
        var (huge, small) = (Grad(1000), Grad(1));   // norms 2000 and 2, clip 3

        Trainer.Clip([huge, small], 3.0, Trainer.Clipping.PerParameter);
        Assert.Equal(2f, small.grad!.norm().item<float>(), 6);   // untouched: its own norm is below 3
        Assert.Equal(3f, huge.grad!.norm().item<float>(), 3);    // its own norm clipped to 3

        var (huge2, small2) = (Grad(1000), Grad(1));
        Trainer.Clip([huge2, small2], 3.0, Trainer.Clipping.GlobalNorm);
        Assert.True(small2.grad!.norm().item<float>() < 0.01);    // the global norm (≈ 2000) shrinks both
    }

    sealed class TwoParameters : Module
    {
        public TwoParameters() : base("two")
        {
            register_parameter("a", new Parameter(ones(4)));
            register_parameter("b", new Parameter(ones(4)));
        }
        public Parameter A => get_parameter("a")!;
        public Parameter B => get_parameter("b")!;
    }

    [Fact]
    public void Dino_training_clips_each_parameter_on_its_own()
    {
        using var scope = NewDisposeScope();
        using var model = new TwoParameters();
        var train = new TrainConfig { Epochs = 1, BatchSize = 4, Lr = 1e-3, WarmupEpochs = 0, ClipGrad = 3 };
        var norms = new List<(float A, float B)>();
        // the teacher's update runs after the optimizer step, when the step's clipped gradients are still there
        var steps = EmaTraining.Steps(model, model.named_parameters().Select(p => (p.name, p.parameter)), zeros(8, 1), train,
            (_, _, _) => 1000 * model.A.sum() + model.B.sum(), 0.996,
            _ => norms.Add((model.A.grad!.norm().item<float>(), model.B.grad!.norm().item<float>())),
            model.A, freezeEpochs: 0, cancel: default).ToList();
        Assert.Equal(2, steps.Count);
        Assert.Equal(2, norms.Count);
        Assert.All(norms, n => Assert.Equal(3f, n.A, 3));   // 2000 clipped to 3
        Assert.All(norms, n => Assert.Equal(2f, n.B, 6));   // not shrunk by A's gradient
    }

    [Fact]
    public void A_training_cancelled_at_an_epoch_boundary_resumes_bit_identical()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        var images = rand(24, 6, generator: new Generator(1));
        var labels = randint(3, [24], generator: new Generator(2));
        IEnumerable<StepRecord> Train(Sequential m, Checkpointing? c, CancellationToken cancel = default) =>
            Trainer.Steps(m, images, labels, (x, y, g) => LossOf(m, x, y, g), Config, cancel: cancel, checkpoint: c);

        using var plain = Tiny();
        var plainLosses = Train(plain, null).Select(r => r.Loss).ToList();

        var checkpoint = new Checkpointing(dir["cut"], Every: 100);
        using (var cancel = new CancellationTokenSource())
        using (var first = Tiny())
            foreach (var step in Train(first, checkpoint, cancel.Token))
                if (step.Step == 2) cancel.Cancel();                  // after the first epoch's last step
        Assert.Equal(3, checkpoint.SavedStep());

        using var resumed = Tiny();
        Assert.Equal(plainLosses, Train(resumed, checkpoint).Select(r => r.Loss).ToList());
        AssertBitIdentical(resumed, plain);
    }
}
