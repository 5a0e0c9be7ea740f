using System.Text.Json;
using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using NotebookSsl.Torch;

namespace NotebookSsl.Tests.Runs;

public class AtomicFileTests
{
    [Fact]
    public void A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var path = dir["a.txt"];
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("boom"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_check_discards_the_new_content()
    {
        using var dir = new TempDir();
        var path = dir["b.bin"];
        Assert.Throws<InvalidDataException>(() => AtomicFile.Write(path, s => s.WriteByte(7), check: temp =>
        {
            Assert.Equal([7], File.ReadAllBytes(temp));
            throw new InvalidDataException("bad");
        }));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Parallel_writes_to_one_path_do_not_collide()
    {
        using var dir = new TempDir();
        var path = dir["c.json"];
        Parallel.For(0, 8, i => AtomicFile.WriteJson(path, new { i, values = new[] { double.NaN, i } }));
        var back = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        Assert.InRange(back.GetProperty("i").GetInt32(), 0, 7);
        Assert.Equal(["c.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}

public class RunEnvironmentTests
{
    [Fact]
    public void Capture_without_torch_fills_the_managed_fields_and_names_them_in_snake_case()
    {
        bool loadedBefore = TorchRuntime.IsLoaded;
        var env = RunEnvironment.Capture(loadTorch: false);
        Assert.Equal(loadedBefore, TorchRuntime.IsLoaded);          // capturing did not load libtorch
        Assert.Equal(loadedBefore, env.Torch is not null);
        Assert.Equal(typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), env.TorchSharp);
        Assert.Equal("TorchSharp-cpu", env.TorchSharpBackend);
        Assert.Equal(Environment.ProcessorCount, env.Cores);

        var json = JsonSerializer.SerializeToNode(env, RunJson.Options)!.AsObject();
        foreach (var key in new[] { "os", "dotnet", "torchsharp", "machine", "processor_count", "timestamp", "git_commit" })
            Assert.True(json.ContainsKey(key), key);
        Assert.Equal(env, JsonSerializer.Deserialize<RunEnvironment>(json.ToJsonString(), RunJson.Options));
    }

    [Fact]
    public void Capture_with_torch_describes_libtorch()
    {
        var env = RunEnvironment.Capture();
        Assert.StartsWith("TorchSharp ", env.Torch);
        Assert.True(TorchRuntime.IsLoaded);
    }
}

[Collection(ProcessEnvironment.Name)]
public class RepositoryRootTests
{
    [Fact]
    public void The_tests_run_inside_the_repository()
    {
        var root = RepositoryRoot.Find();
        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "NotebookSsl.sln")));
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(RunStore.EnvironmentVariable)))
            Assert.Equal(Path.Combine(root, "runs"), RunStore.DefaultRoot());
    }

    [Fact]
    public void Smoke_results_go_to_the_temporary_folder_and_others_to_notebooks_results()
    {
        Assert.Equal(Path.Combine(Path.GetTempPath(), "01-x-smoke.json"), ResultsFile.PathFor("01-x", RunSize.Smoke));
        Assert.Equal(Path.Combine(RepositoryRoot.OrCurrentFolder(), "notebooks", "results", "01-x-quick.json"), ResultsFile.PathFor("01-x", RunSize.Quick));
    }
}
