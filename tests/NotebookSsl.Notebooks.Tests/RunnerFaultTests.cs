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

    [Fact]
    public void Echo_of_a_cell_that_prints_in_a_loop_does_not_deadlock()
    {
        // the flush timer echoed under the event writer's lock and waited for Console.Out, which the printing cell held
        var dir = Nbssl.NewOutDir();
        try
        {
            var nb = Write(dir, "chatty.dib",
                "#!csharp\n\nfor (int i = 0; i < 1500; i++) { Console.WriteLine($\"line {i}\"); System.Threading.Thread.Sleep(1); }\n");
            var (exit, log) = Nbssl.Run("run", nb, "--echo", "--timeout", "60", "--out", Path.Combine(dir, "out"));
            Assert.True(exit == 0, log[^Math.Min(log.Length, 2000)..]);
            Assert.Contains("line 1499\n", log);                                  // echoed, in order, to the end
            Assert.True(log.IndexOf("line 100\n") < log.IndexOf("line 1400\n"));
            var notebook = Nbssl.ReadNotebook(Path.Combine(dir, "out", "chatty.ipynb"));
            Assert.EndsWith("line 1499\n", Nbssl.Stream(notebook, 0));
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void A_process_the_notebook_left_running_is_ended_and_not_waited_for()
    {
        // the child inherited the worker's stdout and stderr: the runner waited for it to close them (for good, for a daemon)
        var dir = Nbssl.NewOutDir();
        int child = 0;
        try
        {
            var nb = Write(dir, "child.dib",
                "#!csharp\n\nvar p = System.Diagnostics.Process.Start(\"sleep\", \"120\");\nConsole.WriteLine($\"child {p.Id}\");\n");
            var clock = Stopwatch.StartNew();
            var (exit, log) = Nbssl.Run("run", nb, "--out", Path.Combine(dir, "out"));
            Assert.True(exit == 0, log);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(100), $"nbssl run took {clock.Elapsed.TotalSeconds:0} s: it waited for the child");
            var notebook = Nbssl.ReadNotebook(Path.Combine(dir, "out", "child.ipynb"));
            child = int.Parse(Nbssl.Stream(notebook, 0).Trim().Split(' ')[1]);
            Assert.Contains($"the notebook left 1 process(es) running; nbssl ended them: {child} sleep 120", log);
            Assert.True(Until(TimeSpan.FromSeconds(10), () => !Alive(child)), $"child {child} still running");
        }
        finally
        {
            if (child != 0 && Alive(child)) kill(child, 9);
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

public sealed class CappedTextTests
{
    [Fact]
    public void Memory_stays_bounded_the_side_file_gets_everything_and_the_kept_text_matches_the_limit()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var limit = new OutputLimit(MaxLines: 10, MaxChars: 1000, KeptLines: 3, KeptChars: 100);
            var side = Path.Combine(dir, "nb.cell1.stdout.txt");
            var line = new string('x', 1000) + "\n";
            using var capped = new CappedText(limit, side, "nb.cell1.stdout.txt");
            capped.Append("first\n");
            GC.Collect();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (int i = 0; i < 20_000; i++) capped.Append(line);   // 20 MB of text
            var grown = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(grown < 2_000_000, $"{grown:N0} bytes held for 20 MB of output");
            capped.Append("last\n");
            var kept = capped.Finish();
            Assert.StartsWith("first\n", kept);
            Assert.EndsWith($"{line}{line}last\n".Substring(line.Length * 2 + 5 - 100), kept);   // the tail: at most 100 characters
            Assert.Contains("[... 19,999 lines", kept);   // 20,002 less the head's one and the tail's two
            Assert.Contains("the full output (20,002 lines) is in nb.cell1.stdout.txt", kept);
            var file = new FileInfo(side);
            Assert.Equal(6 + 20_000L * line.Length + 5, file.Length);
            Assert.Single(Directory.GetFiles(dir));                     // no temporary file left beside it
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void Live_text_stops_at_the_limit_and_the_rest_comes_as_a_note_and_the_tail()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var limit = new OutputLimit(MaxLines: 10, MaxChars: 1000, KeptLines: 3, KeptChars: 100);
            using var capped = new CappedText(limit, Path.Combine(dir, "out.txt"), "/somewhere/out.txt");
            var shown = string.Concat(Enumerable.Range(0, 30).Select(i => capped.Append($"l{i}\n")));
            Assert.Equal(string.Concat(Enumerable.Range(0, 10).Select(i => $"l{i}\n")), shown);
            Assert.True(capped.Cut);
            var rest = capped.FinishShown();
            Assert.Equal("[... 17 lines (68 characters) not shown; the full output (30 lines) is in /somewhere/out.txt ...]\nl27\nl28\nl29\n", rest);
            Assert.Equal(string.Concat(Enumerable.Range(0, 30).Select(i => $"l{i}\n")), File.ReadAllText(Path.Combine(dir, "out.txt")));
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
