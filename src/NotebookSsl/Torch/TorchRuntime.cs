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

    /// <summary>Whether libtorch has been loaded (by <see cref="EnsureLoaded"/>) in this process.</summary>
    public static bool IsLoaded => Loaded.IsValueCreated;

    static string Load()
    {
        try
        {
            NativeHeap.EnsureTuned();   // before the heap grows
            using var probe = ones(1);
            return $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, "
                 + $"{(cuda.is_available() ? "cuda" : "cpu")}, {get_num_threads()} threads";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException(RealCause(AppContext.BaseDirectory) ?? e.Message, e);
        }
    }

    /// <summary>dlopen's own error for the native TorchSharp library under an app folder, or null if it loads.</summary>
    internal static string? RealCause(string appDirectory)
    {
        if (!OperatingSystem.IsLinux() || AlreadyLoaded()) return null;
        foreach (var dir in new[] { Path.Combine("runtimes", "linux-x64", "native"), "cpu", "cuda" })
        {
            var path = Path.Combine(appDirectory, dir, "libLibTorchSharp.so");
            if (!File.Exists(path)) continue;
            // only the first copy found, the one TorchSharp loads: a second copy of the library would
            // register libtorch's operators again and abort the process
            return Diagnose(path);
        }
        return null;
    }

    /// <summary>
    /// Loads one copy of libLibTorchSharp.so and returns the loader's error in plain words, or null when it
    /// loads. Never call it on a second copy while libtorch is in use: its operators would register twice.
    /// </summary>
    internal static string? Diagnose(string libraryPath)
    {
        string error;
        try { NativeLibrary.Load(libraryPath); return null; }
        catch (DllNotFoundException e) { error = e.Message; } // .NET puts dlopen's own message here
        var hint = error.Contains("GLIBCXX_")
            ? " The system libstdc++ is older than TorchSharp's build. NotebookSsl's build marks that version "
              + "need weak in its output copy; rebuild (dotnet build) so that step runs, or install a newer libstdc++6."
            : "";
        return $"libtorch could not be loaded: {error}.{hint}";
    }

    /// <summary>True when a copy of the library is mapped into this process already (it loaded).</summary>
    static bool AlreadyLoaded() =>
        File.Exists("/proc/self/maps") && File.ReadLines("/proc/self/maps").Any(l => l.EndsWith("/libLibTorchSharp.so"));
}
