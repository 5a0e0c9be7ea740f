using System.Text;
using NotebookSsl.Torch;

namespace NotebookSsl.Tests.Torch;

public class TorchRuntimeTests
{
    [Fact]
    public void Loads_and_describes_the_backend() =>
        Assert.StartsWith("TorchSharp 0.107", TorchRuntime.EnsureLoaded());

    [Fact]
    public void The_build_output_copy_loads_on_this_system() =>
        Assert.Null(TorchRuntime.RealCause(AppContext.BaseDirectory));

    static bool SystemHasGlibcxx3432() =>
        new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists)
            .Any(f => Encoding.ASCII.GetString(File.ReadAllBytes(f)).Contains("GLIBCXX_3.4.32\0"));

    /// <summary>
    /// The unpatched library from the NuGet cache, beside the real libtorch, fails on this system for
    /// want of GLIBCXX_3.4.32; the error must say so, not TorchSharp's "doesn't contain a reference".
    /// </summary>
    [Fact]
    public void An_unpatched_library_reports_the_missing_glibcxx_version()
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || SystemHasGlibcxx3432() || !File.Exists(original)) return; // nothing to show here

        var app = Directory.CreateTempSubdirectory("nbssl-unpatched-");
        try
        {
            var cpu = Directory.CreateDirectory(Path.Combine(app.FullName, "cpu"));
            var native = new[] { Path.Combine("runtimes", "linux-x64", "native"), "cpu" }
                .Select(d => Path.Combine(AppContext.BaseDirectory, d)).First(d => File.Exists(Path.Combine(d, "libtorch.so")));
            foreach (var lib in Directory.GetFiles(native, "*.so*"))
                if (Path.GetFileName(lib) != "libLibTorchSharp.so")
                    File.CreateSymbolicLink(Path.Combine(cpu.FullName, Path.GetFileName(lib)), lib);
            File.Copy(original, Path.Combine(cpu.FullName, "libLibTorchSharp.so"));

            var cause = TorchRuntime.Diagnose(Path.Combine(cpu.FullName, "libLibTorchSharp.so"));
            Assert.NotNull(cause);
            Assert.Contains("GLIBCXX_3.4.32", cause);
            Assert.Contains("rebuild", cause);
        }
        finally { app.Delete(recursive: true); }
    }
}
