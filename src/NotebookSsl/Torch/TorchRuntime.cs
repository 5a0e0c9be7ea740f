using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace NotebookSsl.Torch;

/// <summary>
/// Loads libtorch once and, when that fails, says why in words a user can act on. TorchSharp's own
/// message ("doesn't contain a reference to libtorch-cpu-linux-x64") hides the real cause, which is
/// almost always the dynamic loader's: a missing GLIBCXX version or a missing shared library.
/// </summary>
public static class TorchRuntime
{
    static readonly Lazy<string> Loaded = new(Load);

    /// <summary>Makes sure libtorch is loaded; returns a one-line description of the backend.</summary>
    public static string EnsureLoaded() => Loaded.Value;

    static string Load()
    {
        try
        {
            using var probe = ones(1);
            return $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, "
                 + $"{(cuda.is_available() ? "cuda" : "cpu")}, {get_num_threads()} threads";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException(RealCause() ?? e.Message, e);
        }
    }

    /// <summary>dlopen's own error for the native TorchSharp library next to the app, or null.</summary>
    internal static string? RealCause()
    {
        if (!OperatingSystem.IsLinux()) return null;
        foreach (var dir in new[] { "cpu", "cuda", Path.Combine("runtimes", "linux-x64", "native") })
        {
            var path = Path.Combine(AppContext.BaseDirectory, dir, "libLibTorchSharp.so");
            if (!File.Exists(path)) continue;
            var handle = dlopen(path, RtldNow);
            if (handle != 0) continue;
            var error = Marshal.PtrToStringAnsi(dlerror()) ?? "unknown dlopen error";
            var hint = error.Contains("GLIBCXX_")
                ? " The system libstdc++ is older than TorchSharp's build. NotebookSsl's build marks that version "
                  + "need weak in its output copy; rebuild (dotnet build) so that step runs, or install a newer libstdc++6."
                : "";
            return $"libtorch could not be loaded: {error}.{hint}";
        }
        return null;
    }

    const int RtldNow = 2;
    [DllImport("libc", EntryPoint = "dlopen")] static extern nint dlopen(string file, int mode);
    [DllImport("libc", EntryPoint = "dlerror")] static extern nint dlerror();
}
