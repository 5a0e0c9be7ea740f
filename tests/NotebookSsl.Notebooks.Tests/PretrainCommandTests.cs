using System.Diagnostics;
using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>`nbssl pretrain` at size smoke (seconds): its output folder's lock, and what a kill during the probes keeps.</summary>
public sealed class PretrainCommandTests
{
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    /// <summary>Reads stdout until a line holding <paramref name="fragment"/>; the lines read so far.</summary>
    static async Task<List<string>> ReadUntil(Process p, string fragment)
    {
        var lines = new List<string>();
        using var cancel = new CancellationTokenSource(Patience);
        while (await p.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
        {
            lines.Add(line);
            if (line.Contains(fragment)) return lines;
        }
        throw new Xunit.Sdk.XunitException($"nbssl ended before printing '{fragment}': {string.Join('\n', lines)}\n{await p.StandardError.ReadToEndAsync()}");
    }

    static void Kill(Process p)
    {
        if (!p.HasExited) p.Kill(entireProcessTree: true);
        p.WaitForExit();
    }

    [Fact]
    public async Task A_second_run_into_a_folder_in_use_is_refused_naming_the_pid_that_holds_it()
    {
        var dir = Nbssl.NewOutDir();
        var outDir = Path.Combine(dir, "out");
        using var first = Nbssl.Start("pretrain", "--size", "smoke", "--seed", "0", "--out", outDir);
        try
        {
            await ReadUntil(first, "train /");   // it has the folder: it is loading data or pretraining
            var (exit, log) = Nbssl.Run("pretrain", "--size", "smoke", "--seed", "1", "--out", outDir);
            Assert.Equal(2, exit);
            Assert.Equal($"nbssl: --out {outDir} is in use by pid {first.Id}: wait for it to end, or choose another folder.", log.TrimEnd('\n'));
        }
        finally { Kill(first); Nbssl.Delete(dir); }
    }

    [Fact]
    public async Task Killed_during_the_probes_the_rerun_reuses_the_finished_pretraining_then_clears_it()
    {
        var dir = Nbssl.NewOutDir();
        var outDir = Path.Combine(dir, "out");
        try
        {
            using (var first = Nbssl.Start("pretrain", "--size", "smoke", "--out", outDir))
            {
                await ReadUntil(first, "pretrained ");   // pretraining is done; the probes start
                Kill(first);
            }
            var finished = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, ".checkpoint", "finished", "trainer.json")))!;
            Assert.False(File.Exists(Path.Combine(outDir, "metrics.json")));

            var (exit, log) = Nbssl.Run("pretrain", "--size", "smoke", "--out", outDir);
            Assert.True(exit == 0, log);
            Assert.Contains("reusing the finished pretraining", log);
            Assert.DoesNotContain("pretrain epoch", log);   // not one step trained again
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
            Assert.Equal(finished["Records"]!.AsArray().Select(r => r!["Loss"]!.GetValue<double>()),
                metrics["Pretraining"]!.AsArray().Select(r => r!["Loss"]!.GetValue<double>()));
            Assert.False(Directory.Exists(Path.Combine(outDir, ".checkpoint")));   // the whole job is done
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void An_out_that_is_a_looping_or_dangling_symbolic_link_is_named_as_one()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var loop = Path.Combine(dir, "loop");
            File.CreateSymbolicLink(loop, loop);
            var (exit, log) = Nbssl.Run("pretrain", "--size", "smoke", "--out", loop);
            Assert.Equal(2, exit);
            Assert.Contains($"--out {loop} is a symbolic link that loops", log);
            var dangling = Path.Combine(dir, "dangling");
            File.CreateSymbolicLink(dangling, Path.Combine(dir, "nowhere"));
            (exit, log) = Nbssl.Run("pretrain", "--size", "smoke", "--out", Path.Combine(dangling, "sub"));
            Assert.Equal(2, exit);
            Assert.Contains($"{dangling} is a symbolic link to {Path.Combine(dir, "nowhere")}, which does not exist", log);
            Assert.DoesNotContain("is a file", log);
        }
        finally { Nbssl.Delete(dir); }
    }
}

/// <summary>The run store's lock per key between two processes: two notebooks through `nbssl run` asking for one key.</summary>
public sealed class RunStoreProcessLockTests
{
    [Fact]
    public async Task The_second_notebook_waits_for_the_first_ones_training_of_a_key_then_loads_it()
    {
        var dir = Nbssl.NewOutDir();
        var store = Directory.CreateDirectory(Path.Combine(dir, "runs")).FullName;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        Process? first = null, second = null;
        try
        {
            first = Nbssl.Start("run", Nbssl.Sample("store-lock.dib"), "-p", $"store={store}", "--out", Path.Combine(dir, "a"), "--echo");
            var firstErr = first.StandardError.ReadToEndAsync(cancel.Token);
            while (Directory.GetFiles(store, "computing.*").Length == 0)   // the first holds the key's lock and computes
            {
                if (first.HasExited) Assert.Fail(await firstErr);
                await Task.Delay(50, cancel.Token);
            }
            var firstWorker = Path.GetFileName(Directory.GetFiles(store, "computing.*").Single())["computing.".Length..];

            second = Nbssl.Start("run", Nbssl.Sample("store-lock.dib"), "-p", $"store={store}", "--out", Path.Combine(dir, "b"), "--echo");
            var secondErr = new System.Text.StringBuilder();
            while (await second.StandardError.ReadLineAsync(cancel.Token) is { } line)
            {
                secondErr.AppendLine(line);
                if (line.Contains("run store: waiting for pid")) break;
            }
            Assert.Contains($"run store: waiting for pid {firstWorker} which is training lock-test (seed 0, ", secondErr.ToString());
            File.WriteAllText(Path.Combine(store, "release"), "");
            var rest = await second.StandardError.ReadToEndAsync(cancel.Token);
            await first.WaitForExitAsync(cancel.Token);
            await second.WaitForExitAsync(cancel.Token);
            Assert.True(first.ExitCode == 0, await firstErr);
            Assert.True(second.ExitCode == 0, secondErr + rest);
            Assert.Contains($"loaded=False computed-by={firstWorker} me={firstWorker}", await firstErr);
            Assert.Contains($"loaded=True computed-by={firstWorker}", rest);
            Assert.Single(Directory.GetFiles(store, "computing.*"));   // computed once
        }
        finally
        {
            foreach (var p in new[] { first, second })
                if (p is { HasExited: false }) p.Kill(entireProcessTree: true);
            first?.Dispose();
            second?.Dispose();
            Nbssl.Delete(dir);
        }
    }
}
