using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using NotebookSsl.Notebooks.Running;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>Issue 8 on the runner: outputs checked first, batches that lose nothing, no orphans, capped output.</summary>
[Collection(NbsslRuns.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RunnerFaultTests
{
    const string Hello = "#!csharp\n\n// parameters\nvar name = \"x\";\n\n#!csharp\n\nConsole.WriteLine($\"hello {name}\");\n";

    static string Write(string dir, string relative, string text)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void An_output_path_that_is_a_file_or_read_only_fails_before_any_work()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var nb = Write(dir, "hello.dib", Hello);
            var file = Write(dir, "taken", "a file");
            var (exit1, log1) = Nbssl.Run("run", nb, "--out", file);
            Assert.Equal(2, exit1);
            Assert.Contains($"--out {file} is a file", log1);
            Assert.DoesNotContain("code cell(s)", log1);       // no worker started

            var (exit2, log2) = Nbssl.Run("run", nb, "--out", Path.Combine(file, "below"));
            Assert.Equal(2, exit2);
            Assert.Contains("is a file", log2);

            // a folder no one may write: chmod 555, or as root (whom modes do not stop) a place under /sys
            string readOnly;
            if (Environment.UserName != "root")
            {
                readOnly = Directory.CreateDirectory(Path.Combine(dir, "ro")).FullName;
                File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
            else readOnly = "/sys/nbssl-engine-test-out";
            var (exit3, log3) = Nbssl.Run("run", nb, "--out", readOnly);
            Assert.Equal(2, exit3);
            Assert.Contains("is read-only", log3);
            Assert.Contains(readOnly, log3);
            Assert.DoesNotContain("code cell(s)", log3);
            Assert.False(Directory.Exists(readOnly) && Directory.EnumerateFileSystemEntries(readOnly).Any());
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void An_undeclared_parameter_is_a_usage_error_that_lists_the_declared_ones()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var nb = Write(dir, "hello.dib", Hello);
            var (exit, log) = Nbssl.Run("run", nb, "--param", "nmae=typo", "--out", Path.Combine(dir, "out"));
            Assert.Equal(2, exit);
            Assert.Contains("parameter 'nmae' is not declared in the parameters cell; declared: name (default \"x\")", log);
            Assert.Contains("hello.dib", log);
            Assert.False(Directory.Exists(Path.Combine(dir, "out")) && Directory.EnumerateFileSystemEntries(Path.Combine(dir, "out")).Any());
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void A_batch_keeps_relative_paths_runs_past_a_malformed_notebook_caps_long_output_and_cleans_dead_work_folders()
    {
        var dir = Nbssl.NewOutDir();
        // a work folder left by a runner that was killed outright: a PID that is no longer running
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        var orphan = Path.Combine(Path.GetTempPath(), $"nbssl-{gone.Id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(orphan);
        File.WriteAllText(Path.Combine(orphan, "events.jsonl"), "{}");
        try
        {
            var a = Write(dir, "a/x.dib", Hello.Replace("hello", "from a") + "\n#!csharp\n\nfor (int i = 0; i < 3000; i++) Console.WriteLine($\"line {i}\");\n");
            var bad = Write(dir, "c/bad.ipynb", "{ \"nbformat\": 4, \"cells\": [ {");
            var b = Write(dir, "b/x.dib", Hello.Replace("hello", "from b"));
            var outDir = Path.Combine(dir, "out");
            var (exit, log) = Nbssl.Run("run", a, bad, b, "--out", outDir);

            Assert.Equal(1, exit);
            Assert.Contains($"{bad}: not a valid .ipynb", log);                  // the error names the file
            Assert.EndsWith("nbssl: 1 of 3 notebook(s) failed", log.TrimEnd('\n'));
            var fromA = Nbssl.ReadNotebook(Path.Combine(outDir, "a", "x.ipynb"));
            var fromB = Nbssl.ReadNotebook(Path.Combine(outDir, "b", "x.ipynb"));
            Assert.Contains("from a x", Nbssl.Stream(fromA, 1));
            Assert.Contains("from b x", Nbssl.Stream(fromB, 1));
            Assert.True(File.Exists(Path.Combine(outDir, "a", "x.html")) && File.Exists(Path.Combine(outDir, "b", "x.html")));
            Assert.False(File.Exists(Path.Combine(outDir, "x.ipynb")));

            // 3,000 lines is over the 2,000-line limit: head and tail kept, the whole text in a side file named in both files
            var text = Nbssl.Stream(fromA, 2);
            Assert.StartsWith("line 0\n", text);
            Assert.Contains("line 499\n", text);
            Assert.DoesNotContain("line 1500\n", text);
            Assert.EndsWith("line 2999\n", text);
            Assert.Contains("[... 2,000 lines", text);
            Assert.Contains("x.cell3.stdout.txt", text);
            Assert.Contains("x.cell3.stdout.txt", File.ReadAllText(Path.Combine(outDir, "a", "x.html")));
            var side = File.ReadAllLines(Path.Combine(outDir, "a", "x.cell3.stdout.txt"));
            Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"line {i}"), side);

            Assert.False(Directory.Exists(orphan), "the dead runner's work folder was not removed");
        }
        finally
        {
            Nbssl.Delete(dir);
            Nbssl.Delete(orphan);
        }
    }

    [Theory]
    [InlineData(15)]   // SIGTERM
    [InlineData(9)]    // SIGKILL
    public void Killing_the_runner_ends_its_spinning_worker_and_leaves_no_work_folder(int signal)
    {
        var dir = Nbssl.NewOutDir();
        Process? runner = null;
        int worker = 0;
        try
        {
            var nb = Write(dir, "spin.dib", "#!csharp\n\nConsole.WriteLine(\"spinning\");\nwhile (true) { }\n");
            runner = Nbssl.Start("run", nb, "--out", Path.Combine(dir, "out"));
            var stderr = new StringBuilder();
            var reader = runner;   // progress lines end only when the cell does: read characters, not lines
            _ = Task.Run(async () =>
            {
                var buffer = new char[1024];
                int n;
                while ((n = await reader.StandardError.ReadAsync(buffer)) > 0) lock (stderr) stderr.Append(buffer, 0, n);
            });
            _ = reader.StandardOutput.ReadToEndAsync();
            Assert.True(Until(TimeSpan.FromMinutes(3), () => { lock (stderr) return stderr.ToString().Contains("[1/1] cell 1"); }), "the worker never started its cell");
            worker = Children(runner.Id).Single();
            Assert.True(Directory.GetDirectories(Path.GetTempPath(), $"nbssl-{runner.Id}-*").Length == 1);

            Assert.Equal(0, kill(runner.Id, signal));
            Assert.True(runner.WaitForExit(TimeSpan.FromSeconds(60)), "the runner did not die");
            Assert.True(Until(TimeSpan.FromSeconds(30), () => !Alive(worker)), $"worker {worker} still running after the runner got signal {signal}");
            Assert.True(Until(TimeSpan.FromSeconds(10), () => Directory.GetDirectories(Path.GetTempPath(), $"nbssl-{runner.Id}-*").Length == 0),
                "the work folder was left behind");
        }
        finally
        {
            if (worker != 0 && Alive(worker)) kill(worker, 9);
            if (runner is { HasExited: false }) runner.Kill(entireProcessTree: true);
            if (runner is not null)
                foreach (var d in Directory.GetDirectories(Path.GetTempPath(), $"nbssl-{runner.Id}-*")) Nbssl.Delete(d);
            runner?.Dispose();
            Nbssl.Delete(dir);
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);

    static bool Until(TimeSpan limit, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition()) return true;
            Thread.Sleep(100);
        }
        return condition();
    }

    /// <summary>Running (not a zombie awaiting its reaper) per /proc/PID/stat.</summary>
    static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException) { return false; }
    }

    static List<int> Children(int parent) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) == parent;
                }
                catch (IOException) { return false; }
            }).ToList();
}

public sealed class OutputLimitTests
{
    [Fact]
    public void Long_output_keeps_head_and_tail_and_writes_the_whole_text_to_the_side_file()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var limit = new OutputLimit(MaxLines: 10, MaxChars: 1000, KeptLines: 3, KeptChars: 100);
            var text = new StringBuilder(string.Concat(Enumerable.Range(0, 20).Select(i => $"l{i}\n")));
            var side = Path.Combine(dir, "nb.cell2.stdout.txt");
            var kept = limit.Apply(text, side);
            Assert.StartsWith("l0\nl1\nl2\n[... 14 lines", kept);
            Assert.EndsWith("nb.cell2.stdout.txt ...]\nl17\nl18\nl19\n", kept);
            Assert.Equal(text.ToString(), File.ReadAllText(side));

            var shortText = new StringBuilder("a\nb\n");
            Assert.Equal("a\nb\n", limit.Apply(shortText, Path.Combine(dir, "none.txt")));
            Assert.False(File.Exists(Path.Combine(dir, "none.txt")));

            // one very long line: cut by characters
            var wide = limit.Apply(new StringBuilder(new string('x', 5000)), Path.Combine(dir, "wide.txt"));
            Assert.True(wide.Length < 400, $"{wide.Length} characters kept");
        }
        finally { Nbssl.Delete(dir); }
    }
}

public sealed class BatchNamingTests
{
    [Fact]
    public void Outputs_keep_paths_relative_to_the_common_folder_and_clashes_are_refused()
    {
        Assert.Equal(["x"], NotebookBatch.OutputNames(["/n/a/x.ipynb"]));
        Assert.Equal(["x", "y"], NotebookBatch.OutputNames(["/n/a/x.ipynb", "/n/a/y.dib"]));
        Assert.Equal([Path.Combine("a", "x"), Path.Combine("b", "x")], NotebookBatch.OutputNames(["/n/a/x.ipynb", "/n/b/x.ipynb"]));
        Assert.Equal(["x", Path.Combine("sub", "x")], NotebookBatch.OutputNames(["/n/x.ipynb", "/n/sub/x.ipynb"]));
        var e = Assert.Throws<ArgumentException>(() => NotebookBatch.OutputNames(["/n/a/x.ipynb", "/n/a/x.dib"]));
        Assert.Contains("/n/a/x.ipynb and /n/a/x.dib would write the same output files", e.Message);
    }
}
