using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Runs;

public class DamagedRunTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 }, DecoderWidth = 8, DecoderDepth = 1, DecoderHeads = 2,
    };

    static readonly RunKey Key = new("tiny", Tiny, 3);

    static MaskedAutoencoder Build() { Seeds.Set(3); return new MaskedAutoencoder(Tiny); }

    /// <summary>A store with one run in it; returns the store, its log and a counter of trainings.</summary>
    static (RunStore Store, List<string> Log, Func<int> Trained, Func<StoredRun<MaskedAutoencoder, double>> Get) Stored(TempDir dir)
    {
        var log = new List<string>();
        var store = new RunStore(dir.Path, log.Add);
        int trained = 0;
        StoredRun<MaskedAutoencoder, double> Get() => store.GetOrTrain(Key, Build, mae =>
        {
            trained++;
            using var _ = no_grad();
            foreach (var p in mae.parameters()) p.add_(0.5);
            return 0.25;
        });
        Get().Model.Dispose();
        return (store, log, () => trained, Get);
    }

    [Fact]
    public void A_committed_run_records_the_checksum_of_every_file()
    {
        using var dir = new TempDir();
        var (store, _, _, _) = Stored(dir);
        var listed = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(store.FolderOf(Key), RunStore.ChecksumsFile)))!;
        Assert.Equal(["environment.json", "metrics.json", "weights.safetensors"], listed.Keys.Order());
        Assert.All(listed.Values, h => Assert.Matches("^[0-9a-f]{64}$", h));
    }

    [Fact]
    public void Truncated_weights_are_moved_aside_and_trained_again()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        var weights = Path.Combine(store.FolderOf(Key), "weights.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);

        using var run = get().Model;
        Assert.Equal(2, trained());
        var aside = Assert.Single(Directory.GetDirectories(dir.Path, Key.FolderName + ".corrupt-*"));
        Assert.Equal(bytes.Length / 2, new FileInfo(Path.Combine(aside, "weights.safetensors")).Length);   // kept as it was
        Assert.Contains(log, l => l.Contains("weights.safetensors does not match the checksum") && l.Contains(aside));
        Assert.True(File.Exists(Path.Combine(store.FolderOf(Key), "weights.safetensors")));
        Assert.True(get().Loaded);                                                                        // the new one is good
    }

    [Fact]
    public void NaN_weights_are_caught_even_without_checksums()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        var folder = store.FolderOf(Key);
        using (var poisoned = Build())
        {
            using (no_grad()) poisoned.Encoder.parameters().First().fill_(double.NaN);
            NotebookSsl.IO.Weights.Save(poisoned, Path.Combine(folder, "weights.safetensors"));
        }
        File.Delete(Path.Combine(folder, RunStore.ChecksumsFile));   // as a run stored before checksums were recorded

        using var run = get().Model;
        Assert.Equal(2, trained());
        Assert.Contains(log, l => l.Contains("NaN or ±∞"));
        Assert.Single(Directory.GetDirectories(dir.Path, Key.FolderName + ".corrupt-*"));
        Assert.All(run.parameters(), p => Assert.True(p.isfinite().all().item<bool>()));
    }

    [Fact]
    public void Edited_metrics_of_a_result_are_moved_aside_and_computed_again()
    {
        using var dir = new TempDir();
        var log = new List<string>();
        var store = new RunStore(dir.Path, log.Add);
        var key = new RunKey("score", new { a = 1 }, 0);
        int computed = 0;
        Assert.Equal(0.5, store.GetOrCompute(key, () => { computed++; return 0.5; }).Metrics);
        File.WriteAllText(Path.Combine(store.FolderOf(key), "metrics.json"), "0.99");
        Assert.Equal(0.5, store.GetOrCompute(key, () => { computed++; return 0.5; }).Metrics);
        Assert.Equal(2, computed);
        Assert.Contains(log, l => l.Contains("metrics.json does not match"));
    }

    [Fact]
    public void An_intact_run_loads_without_a_word()
    {
        using var dir = new TempDir();
        var (_, log, trained, get) = Stored(dir);
        using var run = get().Model;
        Assert.Equal(1, trained());
        Assert.Empty(log);
    }
}
