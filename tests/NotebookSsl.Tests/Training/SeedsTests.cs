using NotebookSsl.Methods.Cae;
using NotebookSsl.Models;
using NotebookSsl.Studies;
using NotebookSsl.Training;
using static TorchSharp.torch;
using Module = TorchSharp.torch.nn.Module;

namespace NotebookSsl.Tests.Training;

/// <summary>
/// <see cref="Seeds.Build{T}"/>: a model's initial weights are a function of its seed alone, whatever the global
/// generator did before and whatever other thread builds at the same time (issue 21: runs train side by side).
/// </summary>
public class SeedsTests
{
    /// <summary>Every method's model as the studies build it, at smoke (the notebooks' arms).</summary>
    static PretrainMethod Method(string name)
    {
        var s = StudySize.Smoke;
        return name switch
        {
            "MAE" => PretrainMethod.Mae(s.Mae),
            "DINO" => References.Dino(s),
            "MoCo v3" => References.MocoV3(s),
            "C-MAE" => PretrainMethod.CMae(References.CMaeConfigOf(s), train: References.ContrastiveTrain(s)),
            "CAE" => PretrainMethod.Cae(new CaeConfig { Encoder = s.Encoder, RegressorDepth = 1, DecoderDepth = 1 }),
            "supervised" => References.Supervised(s),
            _ => throw new ArgumentException(name),
        };
    }

    public static TheoryData<string> Methods => new() { "MAE", "DINO", "MoCo v3", "C-MAE", "CAE", "supervised" };

    /// <summary>A copy of every tensor of the state dict (parameters and buffers), on the CPU.</summary>
    static Dictionary<string, Tensor> Weights(Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().clone());

    static Dictionary<string, Tensor> Build(PretrainMethod method, int seed)
    {
        using var model = Seeds.Build(seed, method.Build);
        return Weights(model);
    }

    /// <summary>PyTorch's torch.equal: the same shape, dtype and every element (TorchSharp's torch.equal is the element-wise eq).</summary>
    internal static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.Equals(b);

    static void AssertIdentical(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
            Assert.True(Same(tensor, actual[name]), $"{what}: {name} differs");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_same_seed_gives_bit_identical_weights_another_seed_others_and_the_global_generator_does_not_matter(string name)
    {
        using var scope = NewDisposeScope();
        var method = Method(name);
        var first = Build(method, 3);
        rand(1000);                                  // the global generator moved between the builds
        AssertIdentical(first, Build(method, 3), $"{name}, seed 3 built twice");

        var other = Build(method, 4);
        // every randomly drawn tensor differs: the encoder's patch embedding and the first block's attention at least
        string patch = first.Keys.First(k => k.EndsWith("patch_embed.proj.weight"));
        Assert.False(Same(first[patch], other[patch]), $"{name}: {patch} is the same at seeds 3 and 4");
        var drawn = first.Keys.Where(k => k.EndsWith("qkv.weight") || k.EndsWith("fc1.weight")).ToList();
        Assert.NotEmpty(drawn);
        Assert.All(drawn, k => Assert.False(Same(first[k], other[k]), $"{name}: {k} is the same at seeds 3 and 4"));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Builds_on_two_threads_at_once_give_the_weights_of_builds_one_after_another(string name)
    {
        using var scope = NewDisposeScope();
        var method = Method(name);
        var sequential = new[] { Build(method, 0), Build(method, 1) };

        const int rounds = 3;   // each thread builds its seed a few times, so that the builds overlap
        using var start = new Barrier(2);
        var results = new Dictionary<string, Tensor>[2][];
        var threads = Enumerable.Range(0, 2).Select(seed => new Thread(() =>
        {
            // (a dispose scope is per thread: these copies live until the test's end and the GC)
            if (!start.SignalAndWait(TimeSpan.FromSeconds(60))) return;   // the other thread never started: results stay null
            results[seed] = Enumerable.Range(0, rounds).Select(_ => Build(method, seed)).ToArray();
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(120)), "a build thread hung");

        for (int seed = 0; seed < 2; seed++)
            foreach (var weights in results[seed] ?? throw new Xunit.Sdk.XunitException($"thread {seed} built nothing"))
                AssertIdentical(sequential[seed], weights, $"{name}, seed {seed} on its own thread");
    }

    [Fact]
    public void Seeds_Build_refuses_a_null_build()
    {
        var e = Assert.Throws<ArgumentNullException>(() => Seeds.Build<Module>(0, null!));
        Assert.Equal("build", e.ParamName);
    }

    /// <summary>
    /// PyTorch's nn.Linear/_ConvNd default, kaiming_uniform_(a = √5): weight and bias both uniform in ±1/√fan_in.
    /// Drawn from the seed's generator inside a build: within the bounds, filling them, the same for the same seed.
    /// </summary>
    [Fact]
    public void Init_Linear_and_Conv2d_redraw_the_pytorch_default_from_the_builds_generator()
    {
        using var scope = NewDisposeScope();
        static (Tensor W, Tensor B) Linear(int seed) => Init.Seeded(seed, () =>
        {
            var linear = Init.Linear(64, 32);
            return (linear.weight!.detach().clone(), linear.bias!.detach().clone());
        });
        static (Tensor W, Tensor B) Conv(int seed) => Init.Seeded(seed, () =>
        {
            var conv = Init.Conv2d(4, 16, 3);
            return (conv.weight!.detach().clone(), conv.bias!.detach().clone());
        });

        foreach (var (draw, fanIn) in new (Func<int, (Tensor W, Tensor B)>, int)[] { (Linear, 64), (Conv, 4 * 3 * 3) })
        {
            double bound = 1 / Math.Sqrt(fanIn);
            var (w, b) = draw(7);
            foreach (var t in new[] { w, b })
            {
                double max = t.abs().max().item<float>();
                Assert.True(max <= bound, $"a draw {max} outside ±{bound}");
                Assert.True(t.unique().output.numel() > t.numel() / 2, "the draws are not spread");
            }
            // 2,048 and 576 uniform weights: the largest comes within 5 % of the bound (a narrower law would not)
            Assert.True(w.abs().max().item<float>() > 0.95 * bound, $"the weights reach only {w.abs().max().item<float>()} of ±{bound}");
            rand(1000);
            var (w2, b2) = draw(7);
            Assert.True(Same(w, w2), "seed 7 drew other weights the second time");
            Assert.True(Same(b, b2), "seed 7 drew another bias the second time");
            Assert.False(Same(w, draw(8).W), "seeds 7 and 8 drew the same weights");
        }
    }

    /// <summary>
    /// The same draws as PyTorch from the same seed, bit for bit (so a seed means the same initial weights here and in
    /// the papers' code). Reference values from PyTorch 1.13 on the CPU (the same CPU generator and kernels as libtorch 2):
    /// <code>
    /// torch.manual_seed(7); lin = torch.nn.Linear(3, 2); lin.weight.flatten().tolist(), lin.bias.tolist()
    /// torch.manual_seed(7); t = torch.empty(6); torch.nn.init.trunc_normal_(t, std=0.02, a=-2, b=2); t.tolist()
    /// </code>
    /// </summary>
    [Fact]
    public void The_draws_are_pytorchs_from_the_same_seed()
    {
        using var scope = NewDisposeScope();
        var linear = Init.Seeded(7, () => Init.Linear(3, 2));
        Assert.Equal([0.04032507538795471f, -0.3477921187877655f, 0.18384182453155518f, 0.1811612844467163f, -0.3085803687572479f, -0.0865316316485405f],
            linear.weight!.data<float>().ToArray());
        Assert.Equal([-0.33822792768478394f, 0.1498066484928131f], linear.bias!.data<float>().ToArray());

        // trunc_normal_ maps the same uniform draws through erfinv, whose CPU kernel rounds differently in the last
        // bit between PyTorch 1.13 and libtorch 2 (seen: 1 ulp): equal to a millionth, where another draw would differ entirely
        var truncated = Init.Seeded(7, () => { var t = empty(6); Init.TruncNormal(t, 0.02); return t; }).data<float>().ToArray();
        float[] pytorch = [0.0017529985634610057f, -0.01691807620227337f, 0.008206252008676529f, 0.008079815655946732f, -0.014595650136470795f, -0.003779234364628792f];
        Assert.All(pytorch.Zip(truncated), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-6 * Math.Abs(p.First), $"{p.Second} is not PyTorch's {p.First}"));
    }

    [Fact]
    public void Trunc_normal_draws_a_normal_of_the_given_std_cut_at_two()
    {
        using var scope = NewDisposeScope();
        var narrow = Init.Seeded(1, () => { var t = empty(20_000); Init.TruncNormal(t, 0.02); return t; });
        Assert.InRange(narrow.std().item<float>(), 0.019, 0.021);
        Assert.InRange(narrow.mean().item<float>(), -0.001, 0.001);
        // std 1: the cut at ±2 is at two standard deviations, so the draws fill [−2, 2] and none is beyond
        var wide = Init.Seeded(1, () => { var t = empty(20_000); Init.TruncNormal(t, 1); return t; });
        Assert.InRange(wide.abs().max().item<float>(), 1.99, 2.0);
        Assert.InRange(wide.std().item<float>(), 0.86, 0.90);   // the truncated standard normal's: 0.880
    }
}
