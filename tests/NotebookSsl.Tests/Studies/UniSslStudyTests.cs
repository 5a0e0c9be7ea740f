using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Studies.UniSsl;
using NotebookSsl.Tests.Data;
using NotebookSsl.Tests.Methods.Dino;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public class UniSslStudyTests
{
    [Theory]
    [InlineData(RunSize.Smoke)]
    [InlineData(RunSize.Quick)]
    public void Notebook_02_pretrains_notebook_01s_encoder_so_its_dino_run_can_be_loaded_there(RunSize size)
    {
        var r = UniSslRecipe.For(size);
        Assert.Equal(StudySize.For(size).Encoder, r.Encoder);
        Assert.Equal(r.Encoder, r.Dino.Encoder);
        Assert.Equal(r.Dino, r.UniSsl.Dino);
        Assert.Equal(r.Encoder, r.Mae.Encoder);
        Assert.InRange(r.UniSsl.Points, 1, r.Encoder.GridSize);
        Assert.Contains(r.UniSsl.Points, r.PointsSweep.Append(r.UniSsl.Points));
    }

    [Fact]
    public void Dino_and_uni_ssl_runs_round_trip_through_the_store_with_their_centre_and_prototype_norms()
    {
        using var scope = NewDisposeScope();
        var root = Path.Combine(Path.GetTempPath(), "unissl-store-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new RunStore(root);
            var images = rand(16, 1, 16, 16, generator: new Generator(1));
            var train = DinoConfig.DefaultTrain with { Epochs = 1, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3 };
            var key = new RunKey("dino-test", new { DinoTests.Tiny, train }, 0);
            var first = store.GetOrTrain(key, () => { Seeds.Set(0); return new DinoModel(DinoTests.Tiny); }, m => m.Steps(images, train).Select(s => s.Loss).ToList());
            var second = store.GetOrTrain<DinoModel, List<double>>(key, () => { Seeds.Set(0); return new DinoModel(DinoTests.Tiny); }, _ => throw new InvalidOperationException("should load"));
            Assert.False(first.Loaded);
            Assert.True(second.Loaded);
            Assert.Equal<double>(first.Metrics, second.Metrics);
            var a = first.Model.state_dict();
            var b = second.Model.state_dict();
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            Assert.Contains("student.head.last_layer.weight_g", a.Keys);
            foreach (var name in a.Keys) Assert.True(a[name].Same(b[name]), name);
            Assert.True(second.Model.Loss.Center.abs().sum().item<float>() > 0);

            var uniConfig = new UniSslConfig { Dino = DinoTests.Tiny, Points = 2, WindowTokens = 1 };
            var uniKey = new RunKey("unissl-test", new { uniConfig, train }, 0);
            var u1 = store.GetOrTrain(uniKey, () => { Seeds.Set(0); return new UniSslModel(uniConfig); }, m => m.Steps(images, train).Count());
            var u2 = store.GetOrTrain(uniKey, () => { Seeds.Set(0); return new UniSslModel(uniConfig); }, _ => -1);
            Assert.True(u2.Loaded);
            Assert.True(u1.Model.Encoder.state_dict()["blocks.0.attn.qkv.weight"].Same(u2.Model.Encoder.state_dict()["blocks.0.attn.qkv.weight"]));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
