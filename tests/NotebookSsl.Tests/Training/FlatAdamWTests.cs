using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Tests.Training;

/// <summary>The flat-buffer AdamW against TorchSharp's own AdamW, and its state through a save and a load.</summary>
public class FlatAdamWTests
{
    const double Beta1 = 0.9, Beta2 = 0.95, WeightDecay = 0.05;

    /// <summary>Odd sizes (3, 5, 7) so that the groups' buffers do not line up with the vector width.</summary>
    static Sequential Model() => Seeds.Build(11, () => Sequential(NotebookSsl.Models.Init.Linear(7, 5), LayerNorm(5), ReLU(), NotebookSsl.Models.Init.Linear(5, 3)));

    /// <summary>Weights decay, biases and the norm do not; the two groups train at different scales of the rate.</summary>
    static (List<Parameter> Decay, List<Parameter> NoDecay) Groups(Sequential m) =>
        (m.named_parameters().Where(p => p.parameter.dim() > 1).Select(p => p.parameter).ToList(),
         m.named_parameters().Where(p => p.parameter.dim() <= 1).Select(p => p.parameter).ToList());

    static readonly double[] Scales = [1.0, 0.3];
    static double Lr(int step) => 1e-2 * (1 + step) / 4;   // changes every step, as a schedule does

    static Tensor Loss(Sequential m, int step)
    {
        using var g = new Generator(100 + (ulong)step);
        var x = randn(16, 7, generator: g);
        var y = randint(0, 3, [16], generator: g);
        return functional.cross_entropy(m.forward(x), y);
    }

    static float[] Weights(Sequential m) => m.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void Matches_TorchSharps_AdamW_bit_for_bit_over_several_steps_with_groups_and_per_group_rates()
    {
        using var scope = NewDisposeScope();
        var reference = Model();
        var (rd, rn) = Groups(reference);
        using var torchSharp = optim.AdamW([new AdamW.ParamGroup(rd, new AdamW.Options { weight_decay = WeightDecay }),
            new AdamW.ParamGroup(rn, new AdamW.Options { weight_decay = 0 })], 1e-2, Beta1, Beta2, weight_decay: WeightDecay);

        var flat = Model();
        var (fd, fn) = Groups(flat);
        Assert.Equal(Weights(reference), Weights(flat));
        using var adam = new FlatAdamW([(fd, WeightDecay), (fn, 0.0)], 1e-2, Beta1, Beta2);
        Assert.Equal(Weights(reference), Weights(flat));   // moving the parameters into the buffers keeps their values

        for (int step = 0; step < 6; step++)
        {
            using var stepScope = NewDisposeScope();
            int i = 0;
            foreach (var group in torchSharp.ParamGroups) group.LearningRate = Lr(step) * Scales[i++];
            for (i = 0; i < Scales.Length; i++) adam.SetLr(i, Lr(step) * Scales[i]);
            torchSharp.zero_grad();
            Loss(reference, step).backward();
            torchSharp.step();
            adam.ZeroGrad();
            Loss(flat, step).backward();
            adam.Step();
            Assert.Equal(Weights(reference), Weights(flat));
        }
        Assert.NotEqual(Weights(Model()), Weights(flat));   // it trained
    }

    [Fact]
    public void Its_state_saved_and_loaded_resumes_the_same_training()
    {
        using var scope = NewDisposeScope();
        var straight = Model();
        var (sd, sn) = Groups(straight);
        using var through = new FlatAdamW([(sd, WeightDecay), (sn, 0.0)], 1e-2, Beta1, Beta2);
        void Train(Sequential m, FlatAdamW a, int from, int to)
        {
            for (int step = from; step < to; step++)
            {
                using var s = NewDisposeScope();
                a.SetLr(0, Lr(step)); a.SetLr(1, Lr(step) * Scales[1]);
                a.ZeroGrad();
                Loss(m, step).backward();
                a.Step();
            }
        }
        Train(straight, through, 0, 3);
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) through.Save(writer);
        var weightsAt3 = straight.parameters().Select(p => p.detach().clone()).ToList();
        Train(straight, through, 3, 6);

        // a fresh model and optimizer: the weights at step 3 copied in, the moments and step counts loaded
        var resumed = Model();
        var (rd, rn) = Groups(resumed);
        using var adam = new FlatAdamW([(rd, WeightDecay), (rn, 0.0)], 1e-2, Beta1, Beta2);
        using (no_grad())
            foreach (var (p, w) in resumed.parameters().Zip(weightsAt3)) p.copy_(w);
        saved.Position = 0;
        using (var reader = new BinaryReader(saved)) adam.Load(reader);
        Train(resumed, adam, 3, 6);
        Assert.Equal(Weights(straight), Weights(resumed));
    }

    [Fact]
    public void A_state_for_other_groups_is_refused_by_name()
    {
        using var scope = NewDisposeScope();
        var m = Model();
        var (d, n) = Groups(m);
        using var two = new FlatAdamW([(d, WeightDecay), (n, 0.0)], 1e-2, Beta1, Beta2);
        using var saved = new MemoryStream();
        using (var writer = new BinaryWriter(saved, System.Text.Encoding.UTF8, leaveOpen: true)) two.Save(writer);
        var other = Model();
        using var one = new FlatAdamW([(other.parameters().ToList(), WeightDecay)], 1e-2, Beta1, Beta2);
        saved.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => one.Load(new BinaryReader(saved)));
        Assert.Contains("2 parameter groups", e.Message);
    }

    [Fact]
    public void A_gradient_cleared_to_none_is_caught_before_the_first_step()
    {
        using var scope = NewDisposeScope();
        var m = Model();
        using var adam = new FlatAdamW([(m.parameters().ToList(), WeightDecay)], 1e-2, Beta1, Beta2);
        m.zero_grad(set_to_none: true);   // what the optimizer forbids: the next backward makes gradients of its own
        Loss(m, 0).backward();
        var e = Assert.Throws<InvalidOperationException>(adam.Step);
        Assert.Contains("ZeroGrad", e.Message);
    }
}
