using NotebookSsl.Methods.Dino;
using NotebookSsl.Models;
using NotebookSsl.Training;
using NotebookSsl.Tests.Data;
using static TorchSharp.torch;
using Module = TorchSharp.torch.nn.Module;

namespace NotebookSsl.Tests.Methods.Dino;

public class DinoTests
{
    internal static readonly DinoConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 },
        OutDim = 32, HiddenDim = 24, BottleneckDim = 8,
    };

    [Fact]
    public void Head_has_dino_names_and_unit_norm_prototypes()
    {
        using var scope = NewDisposeScope();
        var head = Seeds.Build(0, () => new DinoHead(16, 32, 24, 8));
        var names = head.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight", "mlp.4.bias",
            "last_layer.weight_g", "last_layer.weight_v"], names);
        var last = head.named_modules().Select(m => m.module).OfType<WeightNormLinear>().Single();
        Assert.False(last.WeightG.requires_grad);                                    // norm_last_layer
        Assert.True(last.Weight.norm(1).allclose(ones(32), atol: 1e-5));
        var y = head.forward(randn(5, 16));
        Assert.Equal([5, 32], y.shape);
        // input on the unit sphere and unit-norm prototypes: every score is a cosine
        Assert.True(y.abs().max().item<float>() <= 1 + 1e-5);
        Assert.Throws<ArgumentException>(() => head.forward(randn(5, 15)));
    }

    [Fact]
    public void Loss_is_the_cross_entropy_across_crops_and_the_centre_moves_by_momentum()
    {
        using var scope = NewDisposeScope();
        var loss = new DinoLoss(3, studentTemp: 0.5, centerMomentum: 0.9);
        var s0 = tensor(new float[] { 1, 0, 0, 0, 1, 0 }, [2, 3]);
        var s1 = tensor(new float[] { 0, 0, 1, 1, 1, 0 }, [2, 3]);
        var t0 = tensor(new float[] { 2, 0, 0, 0, 0, 2 }, [2, 3]);
        var t1 = tensor(new float[] { 0, 2, 0, 1, 0, 0 }, [2, 3]);

        // by hand: targets softmax(t / 0.25) (centre 0), student log_softmax(s / 0.5); pairs (t0, s1) and (t1, s0)
        double Ce(Tensor t, Tensor s, double tauT, Tensor center)
        {
            var q = nn.functional.softmax((t - center) / tauT, 1);
            var logp = nn.functional.log_softmax(s / 0.5, 1);
            return (-(q * logp).sum(1)).mean().item<float>();
        }
        var zero = zeros(1, 3);
        double expected = (Ce(t0, s1, 0.25, zero) + Ce(t1, s0, 0.25, zero)) / 2;
        Assert.Equal(expected, loss.Forward([s0, s1], [t0, t1], 0.25).item<float>(), 5);

        // centre: 0.9 · 0 + 0.1 · mean of the four teacher rows = 0.1 · [0.75, 0.5, 0.5]
        var mean = tensor(new float[] { 0.75f, 0.5f, 0.5f }, [1, 3]);
        var c1 = 0.1 * mean;
        Assert.True(loss.Center.allclose(c1, atol: 1e-6));

        // second call: the targets are centred by c1, then c2 = 0.9 · c1 + 0.1 · mean
        double expected2 = (Ce(t0, s1, 0.25, c1) + Ce(t1, s0, 0.25, c1)) / 2;
        Assert.Equal(expected2, loss.Forward([s0, s1], [t0, t1], 0.25).item<float>(), 5);
        Assert.True(loss.Center.allclose(0.9 * c1 + 0.1 * mean, atol: 1e-6));

        // a student crop of its own is never its teacher's target (DINO); without the rule, one pair
        var single = new DinoLoss(3, studentTemp: 0.5);
        Assert.Throws<ArgumentException>(() => single.Forward([s0], [t0], 0.25));
        Assert.Equal(Ce(t0, s0, 0.25, zero), single.Forward([s0], [t0], 0.25, skipSameCrop: false).item<float>(), 5);
    }

    [Fact]
    public void Teacher_temperature_warms_up_linearly_as_np_linspace()
    {
        Assert.Equal(0.04, DinoLoss.TeacherTemperature(0, 0.04, 0.07, 30), 12);
        Assert.Equal(0.07, DinoLoss.TeacherTemperature(29, 0.04, 0.07, 30), 12);
        Assert.Equal(0.04 + 0.03 * 10 / 29, DinoLoss.TeacherTemperature(10, 0.04, 0.07, 30), 12);
        Assert.Equal(0.07, DinoLoss.TeacherTemperature(100, 0.04, 0.07, 30), 12);
        Assert.Equal(0.04, DinoLoss.TeacherTemperature(0, 0.04, 0.04, 0), 12);
    }

    /// <summary>Shared by DINO and Uni-SSL: after every step teacher = m·teacher_before + (1 − m)·student_after, and no gradient reaches it.</summary>
    internal static void TeacherMovesOnlyByEma(Module model, Module teacher, Module student, IEnumerable<StepRecord> steps, long totalSteps, double baseMomentum)
    {
        var teacherParams = teacher.named_parameters().ToArray();
        Assert.All(teacherParams, p => Assert.False(p.parameter.requires_grad, p.name));
        var studentParams = student.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        // the teacher starts as a copy of the student
        Assert.All(teacherParams, p => Assert.True(p.parameter.Same(studentParams[p.name]), p.name));
        var before = teacherParams.ToDictionary(p => p.name, p => p.parameter.detach().clone());
        long step = 0;
        foreach (var record in steps)
        {
            var m = Ema.CosineMomentum(baseMomentum, step, totalSteps);
            bool moved = false;
            foreach (var (name, p) in teacherParams)
            {
                Assert.True(p.grad is null, $"{name} got a gradient");
                var expected = before[name] * m + studentParams[name].detach() * (1 - m);
                Assert.True(p.allclose(expected, rtol: 1e-5, atol: 1e-7), $"{name} at step {step}");
                moved |= !p.Same(before[name]);
                before[name] = p.detach().clone();
            }
            Assert.True(moved || step == 0 && m == 1, $"the teacher did not move at step {step}");
            step++;
        }
        Assert.Equal(totalSteps, step);
    }

    [Fact]
    public void Teacher_moves_only_by_ema()
    {
        using var scope = NewDisposeScope();
        using var dino = Seeds.Build(1, () => new DinoModel(Tiny));
        var images = rand(16, 1, 16, 16, generator: new Generator(2));
        var train = DinoConfig.DefaultTrain with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3, Seed = 1 };
        TeacherMovesOnlyByEma(dino, dino.Teacher, dino.Student, dino.Steps(images, train), 4, Tiny.TeacherMomentum);
    }

    [Fact]
    public void Prototypes_stay_fixed_during_the_first_epoch_then_train()
    {
        using var scope = NewDisposeScope();
        using var dino = Seeds.Build(5, () => new DinoModel(Tiny));
        var images = rand(16, 1, 16, 16, generator: new Generator(6));
        var start = dino.Student.Head.LastLayer.WeightV.detach().clone();
        var train = DinoConfig.DefaultTrain with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3, Seed = 5 };
        var epochs = new List<int>();
        foreach (var step in dino.Steps(images, train))
        {
            bool same = dino.Student.Head.LastLayer.WeightV.Same(start);
            Assert.True(step.Epoch == 0 ? same : !same, $"step {step.Step} (epoch {step.Epoch})");
            epochs.Add(step.Epoch);
        }
        Assert.Equal([0, 0, 1, 1], epochs);   // the loop ran, through the frozen epoch and the one after
    }

    [Fact]
    public void Training_reaches_the_student_repeats_by_seed_and_saves_the_centre()
    {
        using var scope = NewDisposeScope();
        var images = rand(16, 1, 16, 16, generator: new Generator(3));
        var train = DinoConfig.DefaultTrain with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3, Seed = 4 };
        List<double> Curve(DinoConfig c)
        {
            using var dino = Seeds.Build(4, () => new DinoModel(c));
            var before = dino.Student.Backbone.named_parameters().First(p => p.name == "blocks.0.attn.qkv.weight").parameter.detach().clone();
            var losses = dino.Steps(images, train).Select(s => s.Loss).ToList();
            Assert.False(dino.Student.Backbone.named_parameters().First(p => p.name == "blocks.0.attn.qkv.weight").parameter.Same(before));
            Assert.False(dino.Loss.Center.abs().sum().item<float>() == 0);
            Assert.Contains("dino_loss.center", dino.state_dict().Keys);
            return losses;
        }
        var a = Curve(Tiny);
        Assert.Equal(a, Curve(Tiny));
        Assert.All(a, l => Assert.True(double.IsFinite(l) && l > 0));
        // multi-crop: two local crops add student terms and still train
        var withLocal = Curve(Tiny with { LocalCrops = 2 });
        Assert.NotEqual(a, withLocal);
    }
}
