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
