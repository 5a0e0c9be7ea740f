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

    static MaskedAutoencoder Build() => Seeds.Build(3, () => new MaskedAutoencoder(Tiny));

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

    /// <summary>Records the checksums of the folder's files as they are now, as the store does when it commits.</summary>
    static void Rechecksum(string folder) =>
        File.WriteAllText(Path.Combine(folder, RunStore.ChecksumsFile), System.Text.Json.JsonSerializer.Serialize(
            Directory.GetFiles(folder).Where(f => Path.GetFileName(f) is not (RunStore.ChecksumsFile or "config.json"))
                .ToDictionary(f => Path.GetFileName(f), f => RunStore.Sha256(f))));

    [Fact]
    public void NaN_weights_are_caught_even_when_the_checksums_agree()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        var folder = store.FolderOf(Key);
        using (var poisoned = Build())
        {
            using (no_grad()) poisoned.Encoder.parameters().First().fill_(double.NaN);
            NotebookSsl.IO.Weights.Save(poisoned, Path.Combine(folder, "weights.safetensors"), new Dictionary<string, string> { ["hash"] = Key.Hash });
        }
        Rechecksum(folder);   // trained to NaN, then stored faithfully

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
    public void A_run_without_checksums_is_damaged_and_trained_again()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        File.Delete(Path.Combine(store.FolderOf(Key), RunStore.ChecksumsFile));
        using var run = get().Model;
        Assert.Equal(2, trained());
        Assert.Contains(log, l => l.Contains($"{Key.FolderName} is damaged (checksums.json is missing"));
    }

    [Fact]
    public void Weights_of_another_run_are_refused_by_the_hash_in_their_metadata()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        var other = new RunKey("tiny", Tiny, 4);   // the same model, another seed
        store.GetOrTrain(other, Build, mae => 0.75).Model.Dispose();
        var folder = store.FolderOf(Key);
        // the other run's weights and checksums copied over this one's (config.json still says this key)
        foreach (var name in new[] { "weights.safetensors", "metrics.json", "environment.json", RunStore.ChecksumsFile })
            File.Copy(Path.Combine(store.FolderOf(other), name), Path.Combine(folder, name), overwrite: true);

        var run = get();
        Assert.False(run.Loaded);
        Assert.Equal(0.25, run.Metrics);
        Assert.Equal(2, trained());
        Assert.Contains(log, l => l.Contains($"weights.safetensors belongs to another run (its metadata names run {other.Hash[..12]}, this is {Key.Hash[..12]})"));
        run.Model.Dispose();
    }

    [Fact]
    public void A_complete_part_folder_left_by_a_dead_process_is_adopted_and_a_partial_one_removed()
    {
        using var dir = new TempDir();
        var (store, log, trained, get) = Stored(dir);
        var folder = store.FolderOf(Key);
        // as a process killed between writing its run and moving it into place leaves it
        var part = Path.Combine(dir.Path, $".{Key.FolderName}.{Guid.NewGuid():N}.part");
        Directory.Move(folder, part);
        var half = Path.Combine(dir.Path, $".{Key.FolderName}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(half);
        File.WriteAllText(Path.Combine(half, "metrics.json"), "0.1");

        var run = get();
        Assert.True(run.Loaded);
        Assert.Equal(1, trained());
        Assert.Contains(log, l => l.Contains($"adopted {Path.GetFileName(part)}"));
        Assert.Empty(Directory.GetDirectories(dir.Path, "*.part"));
        run.Model.Dispose();

        // one whose files fail their checksums is removed, not adopted
        Directory.Move(folder, part);
        File.AppendAllText(Path.Combine(part, "metrics.json"), " ");
        using var again = get().Model;
        Assert.Equal(2, trained());
        Assert.Empty(Directory.GetDirectories(dir.Path, "*.part"));
    }

    /// <summary>
    /// Makes a folder unwritable: mode 555, or, as root (whom modes do not stop), the immutable attribute; false
    /// when neither works here. <paramref name="on"/> false undoes it.
    /// </summary>
    static bool ReadOnly(string folder, bool on)
    {
        if (OperatingSystem.IsWindows()) return false;
        if (Environment.UserName != "root")
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | (on ? 0 : UnixFileMode.UserWrite));
            return true;
        }
        try
        {
            using var chattr = System.Diagnostics.Process.Start("chattr", [on ? "+i" : "-i", folder]);
            chattr.WaitForExit();
            return chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }   // no chattr
    }

    [SkippableFact]
    public void A_damaged_run_in_a_read_only_store_names_the_run_the_damage_and_the_fix()
    {
        using var dir = new TempDir();
        var (store, _, trained, get) = Stored(dir);
        var weights = Path.Combine(store.FolderOf(Key), "weights.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        Skip.IfNot(ReadOnly(dir.Path, on: true), "no way to make a folder read-only here");
        try
        {
            var e = Assert.Throws<IOException>(() => get());
            Assert.StartsWith($"run store: {store.FolderOf(Key)} is damaged (weights.safetensors does not match", e.Message);
            Assert.Contains("read-only", e.Message);
            Assert.Contains("$NBSSL_RUNS", e.Message);
            Assert.Equal(1, trained());
        }
        finally { ReadOnly(dir.Path, on: false); }
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
