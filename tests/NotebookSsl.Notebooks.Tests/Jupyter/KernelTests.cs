using System.Text;
using System.Text.Json.Nodes;
using NetMQ;
using NotebookSsl.Notebooks.Display;
using NotebookSsl.Notebooks.Jupyter;

namespace NotebookSsl.Notebooks.Tests.Jupyter;

/// <summary>The kernel's own parts; the protocol end to end is tests/kernel/test_conformance.py (real Jupyter clients).</summary>
public sealed class WireTests
{
    [Fact]
    public void Signature_is_the_hmac_sha256_of_the_parts_in_order()
    {
        // RFC 4231-style known value: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog")
        var wire = new Wire("key");
        Assert.Equal("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            wire.Sign(Encoding.UTF8.GetBytes("The quick brown fox "), Encoding.UTF8.GetBytes("jumps over the lazy dog")));
        Assert.Equal("", new Wire("").Sign(Encoding.UTF8.GetBytes("anything")));
    }

    static Message Request(Wire wire) => wire.Create("execute_request", new JsonObject { ["code"] = "1 + 1" }, null, [Encoding.UTF8.GetBytes("client-1")]);

    [Fact]
    public void A_signed_message_round_trips_with_its_identities()
    {
        var wire = new Wire("secret");
        var parsed = wire.Parse(wire.Serialize(Request(wire)), out var problem);
        Assert.Null(problem);
        Assert.NotNull(parsed);
        Assert.Equal("execute_request", parsed.Type);
        Assert.Equal("1 + 1", parsed.Content["code"]!.GetValue<string>());
        Assert.Equal("client-1", Encoding.UTF8.GetString(parsed.Identities.Single()));
        Assert.Equal("5.3", parsed.Header["version"]!.GetValue<string>());
    }

    [Fact]
    public void A_wrong_or_missing_signature_or_changed_content_is_rejected()
    {
        var wire = new Wire("secret");
        var forged = new Wire("other-key").Serialize(Request(new Wire("other-key")));
        Assert.Null(wire.Parse(forged, out var problem));
        Assert.Equal("bad signature", problem);

        var unsigned = new Wire("").Serialize(Request(new Wire("")));
        Assert.Null(wire.Parse(unsigned, out problem));
        Assert.Equal("bad signature", problem);

        // a signed message whose content was changed on the way
        var frames = wire.Serialize(Request(wire));
        var tampered = new NetMQMessage();
        for (int i = 0; i < frames.FrameCount; i++)
            tampered.Append(i == frames.FrameCount - 1 ? Encoding.UTF8.GetBytes("{\"code\":\"File.Delete(x)\"}") : frames[i].ToByteArray());
        Assert.Null(wire.Parse(tampered, out problem));
        Assert.Equal("bad signature", problem);
    }

    [Fact]
    public void Without_a_key_any_signature_is_accepted_and_malformed_frames_are_not()
    {
        var wire = new Wire("");
        Assert.NotNull(wire.Parse(new Wire("k").Serialize(Request(new Wire("k"))), out _));
        var junk = new NetMQMessage();
        junk.Append("no delimiter");
        Assert.Null(wire.Parse(junk, out var problem));
        Assert.Contains("malformed", problem);
    }
}

public sealed class AssistTests
{
    [Theory]
    [InlineData("var x = 1;", "complete")]
    [InlineData("6 * 7", "complete")]
    [InlineData("for (int i = 0; i < 3; i++) {", "incomplete")]
    [InlineData("if (true)", "incomplete")]
    [InlineData("var x = ;", "invalid")]
    public void CSharp_is_complete(string code, string expected) => Assert.Equal(expected, CSharpAssist.IsComplete(code));

    [Theory]
    [InlineData("let x = 1", "complete")]
    [InlineData("let f x =", "incomplete")]
    [InlineData("[ 1;\n  2", "incomplete")]
    [InlineData("if true then", "incomplete")]
    [InlineData("let s = \"(\"", "complete")]
    [InlineData("(* an open comment", "incomplete")]
    [InlineData(")", "invalid")]
    [InlineData("[ 1 }", "invalid")]
    public void FSharp_is_complete(string code, string expected) => Assert.Equal(expected, FSharpAssist.IsComplete(code));

    [Fact]
    public void CSharp_completes_members_and_names_declared_in_the_cell()
    {
        var (start, end, matches) = CSharpAssist.Complete(null, "System.Console.Writ", 19);
        Assert.Equal((15, 19), (start, end));
        Assert.Equal(["Write", "WriteLine"], matches);
        Assert.Equal(["answerToAll"], CSharpAssist.Complete(null, "var answerToAll = 42;\nanswerTo", 30).Matches);
    }

    [Fact]
    public void CSharp_inspect_shows_the_signature_and_the_doc_comment()
    {
        var text = CSharpAssist.Inspect(null, "Math.Abs(-1.5)", 6);
        Assert.NotNull(text);
        Assert.Contains("Math.Abs(", text);
        Assert.Contains("absolute value", text);   // from System.Runtime.xml in the SDK's reference pack
    }
}

public sealed class KernelSpecTests
{
    [Fact]
    public void Install_writes_both_kernelspecs_that_start_this_dll_and_uninstall_removes_them()
    {
        var dir = Path.Combine(Path.GetTempPath(), "nbssl-kernelspec-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var written = KernelSpecs.Install(dir, "/usr/bin/dotnet", "/opt/nbssl/nbssl.dll");
            Assert.Equal(2, written.Count);
            var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "nbssl-fsharp", "kernel.json")))!;
            Assert.Equal(["/usr/bin/dotnet", "/opt/nbssl/nbssl.dll", "kernel", "start", "--language", "fsharp", "-f", "{connection_file}"],
                spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.Equal("F# (nbssl)", spec["display_name"]!.GetValue<string>());
            Assert.Equal("message", spec["interrupt_mode"]!.GetValue<string>());
            var logo = File.ReadAllBytes(Path.Combine(dir, "nbssl-csharp", "logo-64x64.png"));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, logo[..4]);
            Assert.True(new FileInfo(Path.Combine(dir, "nbssl-csharp", PlotlyOffline.FileName)).Length > 1_000_000);
            Assert.Equal(2, KernelSpecs.Uninstall(dir).Count);
            Assert.False(Directory.Exists(Path.Combine(dir, "nbssl-csharp")));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Prefix_install_goes_where_jupyter_looks()
    {
        Assert.Equal(Path.Combine(Path.GetFullPath("/tmp/p"), "share", "jupyter", "kernels"), KernelSpecs.PrefixKernelsDir("/tmp/p"));
    }
}

public sealed class PlotlyOfflineTests
{
    [Fact]
    public void A_chart_bundle_has_html_and_plotly_json_and_the_html_loads_plotly_from_the_kernelspec()
    {
        var chart = Plotly.NET.CSharp.Chart.Line<int, int, string>(x: new[] { 1, 2, 3 }, y: new[] { 1, 4, 9 });
        var data = Formatter.Format(chart);
        Assert.Equal("scatter", data[PlotlyHtml.PlotlyMimeType]!["data"]![0]!["type"]!.GetValue<string>());
        // the engine's chart HTML still has the loader the kernel rewrites (this fails when the engine changes it)
        Assert.True(PlotlyOffline.Rewrite(data, "nbssl-csharp"));
        var html = data["text/html"]!.GetValue<string>();
        Assert.Contains($"kernelspecs/nbssl-csharp/{PlotlyOffline.FileName[..^3]}", html);
        Assert.Contains("requirejs", html);
        Assert.False(PlotlyOffline.Rewrite(new JsonObject { ["text/html"] = "<b>not a chart</b>" }, "nbssl-csharp"));
    }
}
