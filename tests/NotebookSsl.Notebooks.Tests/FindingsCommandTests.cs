namespace NotebookSsl.Notebooks.Tests;

/// <summary>`nbssl findings` on results files it cannot read: it names the file and what is wrong, and leaves the page alone.</summary>
public sealed class FindingsCommandTests
{
    const string Experiments = """
        ## 01 · Decoder locality

        | Experiment | Finding |
        |---|---|
        | Decoder depth | deeper is not better |
        """;

    const string GoodClaim = """{ "section": "01", "experiment": "Decoder depth", "claim": "c", "expect": "a>b", "a": { "name": "A", "values": [2, 3] }, "b": { "name": "B", "values": [0, 1] } }""";

    /// <summary>A fake repository (NotebookSsl.sln, notebooks/results/) with one good results file, one given, and a page on disk.</summary>
    static (string Root, string Page, string Bad) Repository(string badJson)
    {
        var root = Nbssl.NewOutDir();
        File.WriteAllText(Path.Combine(root, "NotebookSsl.sln"), "");
        var results = Directory.CreateDirectory(Path.Combine(root, "notebooks", "results")).FullName;
        File.WriteAllText(Path.Combine(root, "EXPERIMENTS.md"), Experiments);
        File.WriteAllText(Path.Combine(results, "01-a-quick.json"), $$"""{ "notebook": "01-a", "claims": [ {{GoodClaim}} ] }""");
        var bad = Path.Combine(results, "02-b-quick.json");
        File.WriteAllText(bad, badJson);
        var page = Path.Combine(results, "FINDINGS.md");
        File.WriteAllText(page, "the page as committed\n");
        return (root, page, bad);
    }

    [Theory]
    [InlineData("""{ "notebook": "02-b", "claims": [ { "section": "01", "exper""", "is not valid JSON")]
    [InlineData("""{ "notebook": "02-b", "claims": "oops" }""", "\"claims\" is a JSON String, not an array")]
    [InlineData("""{ "notebook": "02-b", "claims": [ { "section": "01" } ] }""", "claim 0: \"expect\" is missing or not a string")]
    public void A_results_file_that_cannot_be_read_fails_naming_it_and_the_page_is_not_rewritten(string json, string expected)
    {
        var (root, page, bad) = Repository(json);
        try
        {
            var (exit, log) = Nbssl.RunIn(root, "findings", "--experiments", "EXPERIMENTS.md");
            Assert.Equal(1, exit);
            var line = Assert.Single(log.TrimEnd('\n').Split('\n'));
            Assert.StartsWith($"nbssl: {bad}", line);
            Assert.Contains(expected, line);
            Assert.DoesNotContain("   at ", log);
            Assert.Equal("the page as committed\n", File.ReadAllText(page));
        }
        finally { Nbssl.Delete(root); }
    }

    [Fact]
    public void Readable_results_write_the_page()
    {
        var (root, page, _) = Repository("""{ "notebook": "02-b" }""");
        try
        {
            var (exit, log) = Nbssl.RunIn(root, "findings", "--experiments", "EXPERIMENTS.md");
            Assert.True(exit == 0, log);
            Assert.Contains("Decoder depth", File.ReadAllText(page));   // the fake's page is what a good run writes
        }
        finally { Nbssl.Delete(root); }
    }
}
