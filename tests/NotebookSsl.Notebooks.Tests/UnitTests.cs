using NotebookSsl.Notebooks.Display;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;
using NotebookSsl.Notebooks.Documents;
using NotebookSsl.Notebooks.Execution;
using NotebookSsl.Notebooks.Parameters;
using NotebookSsl.Notebooks.Reports;
using StbImageSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Notebooks.Tests;

public sealed class MarkdownTests
{
    [Fact]
    public void Renders_headings_paragraphs_emphasis_code_and_links()
    {
        var html = Markdown.ToHtml("# Title\n\nSome **bold**, *em*, `a < b` and [link](https://x.org/a?b=1&c=2).\nSecond line.\n\n## Sub");
        Assert.Contains("<h1 id=\"title\">Title</h1>", html);
        Assert.Contains("<p>Some <strong>bold</strong>, <em>em</em>, <code>a &lt; b</code> and <a href=\"https://x.org/a?b=1&amp;c=2\">link</a>.\nSecond line.</p>", html);
        Assert.Contains("<h2 id=\"sub\">Sub</h2>", html);
    }

    [Fact]
    public void Bold_may_wrap_onto_the_next_line()
    {
        Assert.Contains("<strong>0.9 in the\nfirst layer</strong>", Markdown.ToHtml("It is about **0.9 in the\nfirst layer** here."));
        Assert.Contains("<strong>0.9 in the\nfirst layer</strong>", Markdown.ToHtml("1. It is about **0.9 in the\n   first layer** here."));
    }

    [Fact]
    public void Renders_nested_and_ordered_lists_tables_and_fenced_code()
    {
        var html = Markdown.ToHtml("- a\n- b\n  - b1\n- c\n\n3. three\n4. four\n\n| x | y |\n|---|:-:|\n| 1 | `|` |\n\n```csharp\nvar s = \"<tag>\";\n```");
        Assert.Contains("<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>b1</li>\n</ul>\n</li>\n<li>c</li>\n</ul>", html);
        Assert.Contains("<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>", html);
        Assert.Contains("<th style=\"text-align: center;\">y</th>", html);
        Assert.Contains("<td style=\"text-align: center;\"><code>|</code></td>", html);
        Assert.Contains("<pre><code class=\"language-csharp\">var s = &quot;&lt;tag&gt;&quot;;\n</code></pre>", html);
    }

    [Fact]
    public void Leaves_math_as_text_and_escapes_html()
    {
        var html = Markdown.ToHtml("Loss $\\frac{1}{N} \\sum_i x_i * w_i$ here <script>alert(1)</script>\n\n$$\nL = a_b * c_d\n$$");
        Assert.Contains("$\\frac{1}{N} \\sum_i x_i * w_i$", html);
        Assert.DoesNotContain("<em>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("<div class=\"math\">$$\nL = a_b * c_d\n$$</div>", html);
    }
}

public sealed class DocumentTests
{
    const string PolyglotIpynb = """
{
 "cells": [
  { "cell_type": "markdown", "metadata": {}, "source": ["# T"] },
  { "cell_type": "code", "execution_count": null, "metadata": { "polyglot_notebook": { "kernelName": "fsharp" } }, "outputs": [], "source": ["let x = 1"] },
  { "cell_type": "code", "execution_count": null, "metadata": { "dotnet_interactive": { "language": "fsharp" } }, "outputs": [], "source": ["x"] },
  { "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["#!fsharp\n", "x + 1"] },
  { "cell_type": "code", "execution_count": null, "metadata": { "tags": ["parameters"] }, "outputs": [], "source": ["var n = 1;"] }
 ],
 "metadata": {
  "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
  "polyglot_notebook": { "kernelInfo": { "defaultKernelName": "csharp", "items": [ { "aliases": [], "name": "csharp" } ] } },
  "custom": { "kept": true }
 },
 "nbformat": 4,
 "nbformat_minor": 2
}
""";

    [Fact]
    public void Reads_polyglot_kernel_names_with_fallbacks_and_writes_them_back()
    {
        var doc = Ipynb.Read(PolyglotIpynb);
        Assert.Equal(["markdown", "fsharp", "fsharp", "csharp", "csharp"], doc.Cells.Select(c => c.Language));
        Assert.Equal("fsharp", NotebookParameters.EffectiveLanguage(doc.Cells[3]));
        Assert.True(doc.Cells[4].HasTag("parameters"));

        var written = JsonNode.Parse(Ipynb.Write(doc))!.AsObject();
        Nbssl.AssertValidPolyglotNotebook(written);
        Assert.True(written["metadata"]!["custom"]!["kept"]!.GetValue<bool>());
        var items = written["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["items"]!.AsArray();
        Assert.Contains(items, i => i!["name"]!.GetValue<string>() == "fsharp");   // added: a cell uses it
        Assert.Equal("x + 1", Ipynb.Read(written.ToJsonString()).Cells[3].Source.Split('\n')[1]);
    }

    [Fact]
    public void Reads_dib_header_cells_and_parameters_comment()
    {
        var doc = Dib.Read("#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"fsharp\",\"items\":[]}}\n\n#!markdown\n\n# Hi\n\n#!fsharp\n\n// parameters\nlet size = \"smoke\"\n\n#!csharp\n\n#!share --from fsharp size\nsize\n");
        Assert.Equal("fsharp", doc.DefaultKernel);
        Assert.Equal([CellKind.Markdown, CellKind.Code, CellKind.Code], doc.Cells.Select(c => c.Kind));
        Assert.Equal("# Hi", doc.Cells[0].Source);
        Assert.True(doc.Cells[1].HasTag("parameters"));
        Assert.Equal("csharp", doc.Cells[2].Language);
        Assert.StartsWith("#!share --from fsharp size", doc.Cells[2].Source);
    }

    [Fact]
    public void Rejects_what_is_not_a_notebook()
    {
        Assert.Throws<ArgumentException>(() => Ipynb.Read("{\"nbformat\": 3, \"cells\": []}"));
        Assert.Throws<ArgumentException>(() => Ipynb.Read("not json"));
    }
}

public sealed class ParameterTests
{
    [Fact]
    public void Parses_csharp_and_fsharp_declarations_with_their_literal_kinds()
    {
        var cs = NotebookParameters.Parse("// parameters\nvar size = \"smoke\"; // comment\nconst int epochs = 2;\ndouble lr = 1e-3;\nvar fast = true;\nvar scale = 0.5f;\nx = 3;", "csharp");
        Assert.Equal(["size", "epochs", "lr", "fast", "scale"], cs.Select(p => p.Name));
        Assert.Equal([ParameterKind.String, ParameterKind.Int, ParameterKind.Double, ParameterKind.Bool, ParameterKind.Float], cs.Select(p => p.Kind));
        Assert.Equal("int", cs[1].DeclaredType);
        var fs = NotebookParameters.Parse("let size = \"smoke\"\nlet mutable steps = 10\nlet lr : float = 0.1", "fsharp");
        Assert.Equal(["size", "steps", "lr"], fs.Select(p => p.Name));
        Assert.Equal("float", fs[2].DeclaredType);
    }

    [Fact]
    public void Injects_typed_overrides_after_the_parameters_cell()
    {
        var doc = new NotebookDocument();
        doc.Cells.Add(new NotebookCell { Kind = CellKind.Markdown, Source = "# t", Language = "markdown" });
        var p = new NotebookCell { Source = "var size = \"smoke\";\ndouble lr = 1;\nvar steps = 3;", Language = "csharp" };
        p.AddTag("parameters");
        doc.Cells.Add(p);
        var cell = NotebookParameters.Inject(doc, [new("size", "quick"), new("lr", "2"), new("steps", "7")])!;
        Assert.Same(cell, doc.Cells[2]);
        Assert.True(cell.HasTag("injected-parameters"));
        Assert.Equal("// Parameters (injected by nbssl)\nvar size = \"quick\";\ndouble lr = 2.0;\nvar steps = 7;", cell.Source);
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(doc, [new("steps", "seven")]));
        Assert.Contains("'seven' is not an int", e.Message);
    }

    [Fact]
    public void Injecting_into_an_executed_notebook_replaces_the_cell_its_run_injected()
    {
        // a published run carries "size = quick" in its injected cell: --param size=smoke must not be undone by it
        var doc = new NotebookDocument();
        var p = new NotebookCell { Source = "var size = \"smoke\";", Language = "csharp" };
        p.AddTag("parameters");
        doc.Cells.Add(p);
        NotebookParameters.Inject(doc, [new("size", "quick")]);
        var cell = NotebookParameters.Inject(doc, [new("size", "smoke")])!;
        var injected = Assert.Single(doc.Cells, c => c.HasTag("injected-parameters"));
        Assert.Same(cell, injected);
        Assert.Equal("// Parameters (injected by nbssl)\nvar size = \"smoke\";", injected.Source);
        Assert.Equal(2, doc.Cells.Count);
    }

    [Fact]
    public void An_undeclared_parameter_is_an_error_listing_the_declared_ones()
    {
        var doc = new NotebookDocument();
        var p = new NotebookCell { Source = "var size = \"smoke\";\nconst int steps = 3;", Language = "csharp" };
        p.AddTag("parameters");
        doc.Cells.Add(p);
        var e = Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(doc, [new("sise", "quick")]));
        Assert.Contains("'sise' is not declared", e.Message);
        Assert.Contains("size (default \"smoke\"), steps (default 3)", e.Message);
        Assert.Single(doc.Cells);

        var none = new NotebookDocument();
        none.Cells.Add(new NotebookCell { Source = "var size = 1;", Language = "csharp" });
        Assert.Contains("no cell tagged 'parameters'", Assert.Throws<ArgumentException>(() => NotebookParameters.Inject(none, [new("size", "2")])).Message);
    }

    [Fact]
    public void Reads_csharp_declarations_from_the_syntax_tree_not_line_by_line()
    {
        // two on a line, one over two lines, a negative literal, a declaration without a value, a statement
        var cs = NotebookParameters.Parse("int a = 1, b = -2;\nvar text =\n    \"two lines\";\nlong big = 5L;\nstring later;\nConsole.WriteLine(a);\nvar m = 1.5m;", "csharp");
        Assert.Equal(["a", "b", "text", "big", "m"], cs.Select(p => p.Name));
        Assert.Equal([ParameterKind.Int, ParameterKind.Int, ParameterKind.String, ParameterKind.Long, ParameterKind.Decimal], cs.Select(p => p.Kind));
        Assert.Equal("-2", cs[1].Literal);
        Assert.Equal("\"two lines\"", cs[2].Literal);
    }

    [Fact]
    public void Injects_fsharp_syntax_for_fsharp_parameter_cells()
    {
        var doc = new NotebookDocument();
        var p = new NotebookCell { Source = "let size = \"smoke\"\nlet lr = 0.1\nlet fast = false", Language = "fsharp" };
        p.AddTag("parameters");
        doc.Cells.Add(p);
        var cell = NotebookParameters.Inject(doc, [new("size", "a\\b"), new("lr", "1"), new("fast", "True")])!;
        Assert.Equal("fsharp", cell.Language);
        Assert.Equal("// Parameters (injected by nbssl)\nlet size = \"a\\\\b\"\nlet lr = 1.0\nlet fast = true", cell.Source);
    }
}

public sealed class DirectiveTests
{
    [Fact]
    public void Accepts_carried_packages_and_rejects_others_by_name_and_version()
    {
        var catalog = PackageCatalog.Carried;
        Assert.Equal(typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), catalog.Packages["TorchSharp"]);
        var ok = CellSource.Prepare("#r \"nuget: TorchSharp, 0.107.0\"\n#r \"nuget:Plotly.NET\"\n#r \"nuget: Microsoft.Data.Analysis, 0.23.*\"\nvar x = 1;", "csharp", catalog);
        Assert.Equal("\n\n\nvar x = 1;", ok.Code);   // directives become blank lines: line numbers hold
        var wrongVersion = Assert.Throws<CellDirectiveException>(() => CellSource.Prepare("#r \"nuget: TorchSharp, 0.105.0\"", "csharp", catalog));
        Assert.Contains("'TorchSharp' version 0.105.0 is not available", wrongVersion.Message);
        Assert.Contains($"carries TorchSharp {catalog.Packages["TorchSharp"]}", wrongVersion.Message);
        var unknown = Assert.Throws<CellDirectiveException>(() => CellSource.Prepare("var a = 1;\n#r \"nuget: Serilog, 3.1.1\"", "fsharp", catalog));
        Assert.StartsWith("line 2: package 'Serilog' version 3.1.1 is not available", unknown.Message);
    }

    [Fact]
    public void Parses_share_and_rejects_unknown_magic_commands()
    {
        var p = CellSource.Prepare("#!fsharp\n#!share --from csharp losses --as xs\n#!share words --from c#\nxs", "fsharp", PackageCatalog.Carried);
        Assert.Equal([new ShareRequest("csharp", "losses", "xs"), new ShareRequest("csharp", "words", "words")], p.Shares);
        Assert.Equal("\n\n\nxs", p.Code);
        Assert.Contains("#!whos", Assert.Throws<CellDirectiveException>(() => CellSource.Prepare("#!whos", "csharp", PackageCatalog.Carried)).Message);
        Assert.Throws<CellDirectiveException>(() => CellSource.Prepare("#!share --from csharp x", "csharp", PackageCatalog.Carried));
    }

    [Fact]
    public void Names_types_for_generated_share_casts()
    {
        Assert.Equal("global::System.Collections.Generic.List<global::System.String>", TypeNames.Of(typeof(List<string>), fsharp: false));
        Assert.Equal("global.TorchSharp.torch.Tensor[]", TypeNames.Of(typeof(Tensor[]), fsharp: true));
        Assert.Null(TypeNames.Of(typeof(Secret), fsharp: false));
        Assert.Equal("global::System.Object", TypeNames.Best(null, new Secret(), fsharp: false));
    }

    sealed class Secret;
}

public sealed class FormatterTests
{
    [Fact]
    public void Image_tensors_become_png_grids_and_other_tensors_text()
    {
        using var scope = NewDisposeScope();
        var batch = rand(5, 3, 10, 12);                                  // [N, C, H, W] in [0, 1)
        var data = Formatter.Format(batch);
        var png = ImageResult.FromMemory(Convert.FromBase64String(data["image/png"]!.GetValue<string>()), ColorComponents.RedGreenBlue);
        var scale = Math.Min(8, 112 / 12);                              // upscaled for display, at most 8x
        Assert.Equal(5 * 12 * scale + 6 * 2, png.Width);                 // five tiles in one row, 2 px gaps
        Assert.Equal(10 * scale + 2 * 2, png.Height);
        Assert.StartsWith("Tensor [5, 3, 10, 12] float32", data["text/plain"]!.GetValue<string>());

        Assert.Null(Formatter.Format(rand(3, 10, 12) * 4)["image/png"]);    // not in [0, 1]
        Assert.Null(Formatter.Format(rand(2, 10, 12))["image/png"]);        // C = 2
        Assert.NotNull(DisplayFunctions.image(rand(1, 9, 9) * 10, normalize: true).Bytes);
        Assert.Throws<ArgumentException>(() => ImageTensors.ToPng(rand(4, 4)));
    }

    [Fact]
    public void Charts_dataframes_and_plain_values()
    {
        var chart = Plotly.NET.CSharp.Chart.Point<double, double, string>(x: new[] { 1.0, 2.0 }, y: new[] { 3.0, 4.0 });
        var html = Formatter.Format(chart)["text/html"]!.GetValue<string>();
        Assert.Contains(PlotlyHtml.Marker, html);
        Assert.Contains("\"y\":[3.0,4.0]", html);
        Assert.Contains($"plotly-{PlotlyHtml.PlotlyJsVersion}.min.js", html);
        Assert.Contains("plotly.js", PlotlyHtml.PlotlyJs[..2000]);

        var df = new DataFrame(new StringDataFrameColumn("name", ["a<b", "c"]), new PrimitiveDataFrameColumn<int>("n", [1, 2]));
        var f = Formatter.Format(df);
        Assert.Contains("<td>a&lt;b</td>", f["text/html"]!.GetValue<string>());
        Assert.Contains("2 rows x 2 columns", f["text/plain"]!.GetValue<string>());

        Assert.Equal("List [1, 2, 3]", Formatter.Format(new List<int> { 1, 2, 3 })["text/plain"]!.GetValue<string>());
        Assert.Equal("1.5", Formatter.Format(1.5)["text/plain"]!.GetValue<string>());
    }
}

public sealed class RunnerTests
{
    [Fact]
    public void A_worker_that_cannot_start_is_reported_at_the_first_code_cell_in_both_files()
    {
        var outDir = Nbssl.NewOutDir();
        try { WorkerFails(outDir); } finally { Nbssl.Delete(outDir); }
    }

    static void WorkerFails(string outDir)
    {
        var log = new StringWriter();
        var result = Running.NotebookRunner.Run(Nbssl.Sample("compile-error.ipynb"), new Running.RunOptions
        {
            Worker = new Running.WorkerCommand(Path.Combine(outDir, "no-such-program"), []),
            OutputDirectory = outDir,
            Log = log,
        });
        Assert.False(result.Succeeded);
        Assert.Equal("WorkerFailed", result.ErrorName);
        Assert.Equal(2, result.FailedCell);                                  // cell 1 is markdown
        var nb = Nbssl.ReadNotebook(result.IpynbPath);
        Nbssl.AssertValidPolyglotNotebook(nb);
        Assert.Contains(Nbssl.Outputs(nb, 1), o => o!["ename"]?.GetValue<string>() == "WorkerFailed");
        Assert.Contains("WorkerFailed", File.ReadAllText(result.HtmlPath));
        Assert.Contains("could not start the worker", log.ToString());
        Nbssl.AssertNothingHalfWritten(outDir);
    }
}
