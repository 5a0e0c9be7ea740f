using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Tests;

[Collection(NbsslRuns.Name)]
public sealed class FailureTests(FailuresRun failures, RejectedRun rejected)
{
    static JsonObject? Error(JsonObject nb, int cell) =>
        Nbssl.Outputs(nb, cell).Select(o => o!.AsObject()).SingleOrDefault(o => o["output_type"]!.GetValue<string>() == "error");

    static void AssertNotRun(JsonObject nb, int cell)
    {
        Assert.Null(Nbssl.Cells(nb)[cell]!["execution_count"]?.GetValue<int?>());
        Assert.Empty(Nbssl.Outputs(nb, cell));
    }

    [Fact]
    public void A_failing_notebook_exits_non_zero_and_the_others_still_run_and_get_both_files()
    {
        Assert.Equal(1, failures.ExitCode);
        foreach (var name in new[] { "compile-error", "runtime-error", "abort" })
        {
            Assert.True(File.Exists(Path.Combine(failures.OutDir, name + ".ipynb")), name);
            Assert.True(File.Exists(Path.Combine(failures.OutDir, name + ".html")), name);
            var nb = failures.Notebook(name);
            Nbssl.AssertValidPolyglotNotebook(nb);
            Assert.Equal("failed", nb["metadata"]!["nbssl"]!["run"]!["status"]!.GetValue<string>());
        }
        Nbssl.AssertNothingHalfWritten(failures.OutDir);
        Assert.EndsWith("nbssl: 3 of 3 notebook(s) failed", failures.Log.TrimEnd('\n'));
    }

    [Fact]
    public void Compile_error_is_recorded_at_its_cell_with_diagnostics_and_later_cells_do_not_run()
    {
        var nb = failures.Notebook("compile-error");
        Assert.Contains("first cell ran", Nbssl.Stream(nb, 1));
        var error = Error(nb, 2)!;
        Assert.Equal("CompilationError", error["ename"]!.GetValue<string>());
        var trace = string.Join("\n", error["traceback"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("(1,13): error CS0029", trace);
        Assert.DoesNotContain("never printed", Nbssl.Stream(nb, 2));
        AssertNotRun(nb, 3);
        Assert.Equal(3, nb["metadata"]!["nbssl"]!["run"]!["failed_cell"]!.GetValue<int>());
        Assert.Contains("Stopped at <a href=\"#cell-3\">cell 3</a>", failures.Html("compile-error"));
        Assert.Contains("error CS0029", failures.Html("compile-error"));
        Assert.Contains("FAILED at cell 3: CompilationError", failures.Log);
    }

    [Fact]
    public void Runtime_exception_in_an_fsharp_cell_is_recorded_with_its_type_message_and_earlier_output()
    {
        var nb = failures.Notebook("runtime-error");
        var cell = Nbssl.CellIndexContaining(nb, "let half n");
        Assert.Contains("half 4 = 2", Nbssl.Stream(nb, cell));
        var error = Error(nb, cell)!;
        Assert.Equal("System.ArgumentException", error["ename"]!.GetValue<string>());
        Assert.Contains("odd value 7", error["evalue"]!.GetValue<string>());
        AssertNotRun(nb, Nbssl.CellIndexContaining(nb, "must not run"));
        Assert.Contains("odd value 7", failures.Html("runtime-error"));
    }

    [Fact]
    public void Native_abort_kills_only_the_worker_and_is_recorded_at_the_running_cell()
    {
        var nb = failures.Notebook("abort");
        Assert.Contains("before the bad matmul", Nbssl.Stream(nb, 0));
        Assert.Contains("multiplying", Nbssl.Stream(nb, 1));
        var error = Error(nb, 1)!;
        Assert.Equal("ProcessAborted", error["ename"]!.GetValue<string>());
        var evalue = error["evalue"]!.GetValue<string>();
        Assert.Contains("SIGABRT", evalue);
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", evalue);
        AssertNotRun(nb, 2);
        Assert.Equal(2, nb["metadata"]!["nbssl"]!["run"]!["failed_cell"]!.GetValue<int>());
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied", failures.Html("abort"));
    }

    [Fact]
    public void Dib_parameters_are_injected_and_an_uncarried_nuget_package_is_rejected_by_name()
    {
        Assert.Equal(1, rejected.ExitCode);
        var nb = rejected.Notebook;
        Nbssl.AssertValidPolyglotNotebook(nb);
        Nbssl.AssertNothingHalfWritten(rejected.OutDir);
        var p = Nbssl.CellIndexContaining(nb, "// parameters");
        Assert.Contains("parameters", Nbssl.Cells(nb)[p]!["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("var greeting = \"hi \\\"there\\\"\";", Nbssl.Text(Nbssl.Cells(nb)[p + 1]!["source"]));
        Assert.Contains("hi \"there\": TorchSharp accepted", Nbssl.Stream(nb, Nbssl.CellIndexContaining(nb, "TorchSharp accepted")));
        var bad = Nbssl.CellIndexContaining(nb, "Newtonsoft.Json.Schema");
        var error = Error(nb, bad)!;
        Assert.Equal("DirectiveError", error["ename"]!.GetValue<string>());
        Assert.Contains("'Newtonsoft.Json.Schema' version 4.0.1 is not available", error["evalue"]!.GetValue<string>());
        Assert.DoesNotContain("must not run", Nbssl.Stream(nb, bad));
    }

    [Fact]
    public void Bad_usage_exits_with_two_before_running_anything()
    {
        var outDir = Nbssl.NewOutDir();
        try { BadUsage(outDir); } finally { Nbssl.Delete(outDir); }
    }

    static void BadUsage(string outDir)
    {
        var (missing, log1) = Nbssl.Run("run", Nbssl.Sample("no-such-notebook.ipynb"), "--out", outDir);
        Assert.Equal(2, missing);
        Assert.Contains("notebook not found", log1);
        var (badParam, log2) = Nbssl.Run("run", Nbssl.Sample("features.ipynb"), "--param", "epochs=many", "--out", outDir);
        Assert.Equal(2, badParam);
        Assert.Contains("parameter 'epochs': 'many' is not an int", log2);
        Assert.Empty(Directory.GetFiles(outDir));
    }
}

[Collection(NbsslRuns.Name)]
public sealed class TimeoutTests
{
    [Fact]
    public void Timeout_stops_the_worker_and_is_recorded_at_the_running_cell_and_echo_streams_output()
    {
        var outDir = Nbssl.NewOutDir();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (exit, log) = Nbssl.Run("run", Nbssl.Sample("slow.dib"), "--timeout", "30", "--echo", "--out", outDir);
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the worker was not stopped");
            Assert.Equal(1, exit);
            Assert.Contains("started", log);                      // --echo: console output and display text as they come
            Assert.Contains("(updated) step 1", log);
            var nb = Nbssl.ReadNotebook(Path.Combine(outDir, "slow.ipynb"));
            Nbssl.AssertValidPolyglotNotebook(nb);
            var sleeping = Nbssl.CellIndexContaining(nb, "Thread.Sleep");
            Assert.Contains("sleeping", Nbssl.Stream(nb, sleeping));
            var error = Nbssl.Outputs(nb, sleeping).Single(o => o!["output_type"]!.GetValue<string>() == "error")!;
            Assert.Equal("Timeout", error["ename"]!.GetValue<string>());
            Assert.Equal("step 1", Nbssl.Text(Nbssl.Outputs(nb, sleeping - 1).Single(o => o!["output_type"]!.GetValue<string>() == "display_data")!["data"]!["text/plain"]));
            Assert.Empty(Nbssl.Outputs(nb, Nbssl.CellIndexContaining(nb, "never reached")));
            Nbssl.AssertNothingHalfWritten(outDir);
        }
        finally { Nbssl.Delete(outDir); }
    }
}
