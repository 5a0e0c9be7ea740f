using NotebookSsl.Analysis;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

[Collection(ProcessEnvironment.Name)]
public class RunStoreTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 }, DecoderWidth = 8, DecoderDepth = 1, DecoderHeads = 2,
    };

    sealed record Metrics(double Loss, IReadOnlyList<double> Curve, double Psnr);

    [Fact]
    public void The_same_config_gives_the_same_hash_and_a_change_gives_another()
    {
        var a = new RunKey("mae-pretrain", new { Mae = Tiny, Train = new TrainConfig() }, 0);
        var b = new RunKey("mae-pretrain", new { Mae = Tiny with { }, Train = new TrainConfig() }, 0);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(64, a.Hash.Length);
        Assert.Equal(a.CanonicalJson, b.CanonicalJson);

        Assert.NotEqual(a.Hash, new RunKey("mae-pretrain", new { Mae = Tiny, Train = new TrainConfig() }, 1).Hash);               // seed
        Assert.NotEqual(a.Hash, new RunKey("mae-other", new { Mae = Tiny, Train = new TrainConfig() }, 0).Hash);                  // kind
        Assert.NotEqual(a.Hash, new RunKey("mae-pretrain", new { Mae = Tiny with { MaskRatio = 0.5 }, Train = new TrainConfig() }, 0).Hash);
        Assert.NotEqual(a.Hash, new RunKey("mae-pretrain", new { Mae = Tiny with { Decoder = DecoderKind.Conv }, Train = new TrainConfig() }, 0).Hash);
        Assert.Contains("\"Decoder\":\"Transformer\"", a.CanonicalJson);   // enums by name, so reordering an enum cannot change a hash
    }

    [Fact]
    public void Canonical_json_sorts_keys_so_member_order_does_not_matter()
    {
        var a = new RunKey("k", new { X = 1, Y = 2.5 }, 0);
        var b = new RunKey("k", new { Y = 2.5, X = 1 }, 0);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Throws<ArgumentException>(() => new RunKey("bad kind/..", new { X = 1 }, 0));
    }

    [Fact]
    public void A_second_call_loads_the_stored_run_without_training()
    {
        using var dir = new TempDir();
        var store = new RunStore(dir.Path);
        var key = new RunKey("tiny", Tiny, 3);
        int trained = 0;
        MaskedAutoencoder Build() => Seeds.Build(3, () => new MaskedAutoencoder(Tiny));
        Metrics Train(MaskedAutoencoder mae)
        {
            trained++;
            using var _ = no_grad();
            foreach (var p in mae.parameters()) p.add_(1.0);   // weights differ from a fresh build
            return new Metrics(0.25, [1.0, 0.5], double.NaN);
        }

        var first = store.GetOrTrain(key, Build, Train);
        var second = store.GetOrTrain(key, Build, Train);
        Assert.Equal(1, trained);
        Assert.False(first.Loaded);
        Assert.True(second.Loaded);
        Assert.Equal(first.Metrics.Curve, second.Metrics.Curve);
        Assert.True(double.IsNaN(second.Metrics.Psnr));
        var a = first.Model.state_dict();
        foreach (var (name, tensor) in second.Model.state_dict())
            Assert.True(tensor.eq(a[name]).all().item<bool>(), $"{name} differs after loading");
        foreach (var file in new[] { "weights.safetensors", "metrics.json", "config.json", "environment.json" })
            Assert.True(File.Exists(Path.Combine(second.Folder, file)), file);
        Assert.Equal(key.CanonicalJson, File.ReadAllText(Path.Combine(second.Folder, "config.json")));
        Assert.True(store.Contains(key));
        Assert.False(store.Contains(new RunKey("tiny", Tiny, 4)));
    }

    [Fact]
    public void Half_written_or_foreign_folders_are_never_loaded()
    {
        using var dir = new TempDir();
        var store = new RunStore(dir.Path);
        var key = new RunKey("result", new { X = 1 }, 0);
        // a temporary folder left by a killed process, and a final folder whose config is not this key's
        Directory.CreateDirectory(Path.Combine(dir.Path, $".{key.FolderName}.dead.part"));
        var folder = store.FolderOf(key);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "metrics.json"), "{\"Loss\":9,\"Curve\":[],\"Psnr\":0}");
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"something\":\"else\"}");

        int computed = 0;
        var result = store.GetOrCompute(key, () => { computed++; return new Metrics(1, [2.0], 3); });
        Assert.Equal(1, computed);
        Assert.False(result.Loaded);
        Assert.Equal(1, result.Metrics.Loss);
        Assert.Equal(key.CanonicalJson, File.ReadAllText(Path.Combine(folder, "config.json")));

        var again = store.GetOrCompute(key, () => { computed++; return new Metrics(5, [], 0); });
        Assert.Equal(1, computed);
        Assert.True(again.Loaded);
        Assert.Equal(3, again.Metrics.Psnr);
        Assert.Empty(Directory.GetDirectories(dir.Path, $".{key.FolderName}.*.part"));   // the killed process's leftover is cleaned up
    }

    [Fact]
    public void A_failing_training_leaves_nothing_behind()
    {
        using var dir = new TempDir();
        var store = new RunStore(dir.Path);
        var key = new RunKey("fails", new { X = 1 }, 0);
        Assert.Throws<InvalidOperationException>(() => store.GetOrCompute<Metrics>(key, () => throw new InvalidOperationException("boom")));
        Assert.False(store.Contains(key));
        Assert.False(Directory.Exists(store.FolderOf(key)));
    }

    [Fact]
    public void The_environment_variable_overrides_the_default_folder()
    {
        var saved = Environment.GetEnvironmentVariable(RunStore.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(RunStore.EnvironmentVariable, "/tmp/nbssl-runs-elsewhere");
            Assert.Equal("/tmp/nbssl-runs-elsewhere", new RunStore().Root);
            Environment.SetEnvironmentVariable(RunStore.EnvironmentVariable, null);
            Assert.Equal("runs", Path.GetFileName(new RunStore().Root));
        }
        finally { Environment.SetEnvironmentVariable(RunStore.EnvironmentVariable, saved); }
    }

    [Fact]
    public void Results_json_holds_nan_arrays_and_records_and_is_written_atomically()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "results", "r.json");
        var value = new
        {
            seeds = new[] { 0, 1 }, psnr = double.NaN, rows = new[] { MeanStd.Of([0.5, 0.7]) },
            recipe = StudySize.Smoke, distance = new[] { 1.5, 2.5 },
        };
        AtomicFile.WriteJson(path, value);
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path), new System.Text.Json.JsonDocumentOptions()).RootElement;
        Assert.Equal("NaN", json.GetProperty("psnr").GetString());
        Assert.Equal(0.6, json.GetProperty("rows")[0].GetProperty("Mean").GetDouble(), 12);
        Assert.Equal("Transformer", json.GetProperty("recipe").GetProperty("Mae").GetProperty("Decoder").GetString());
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
