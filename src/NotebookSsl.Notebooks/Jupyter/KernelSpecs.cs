using System.Text.Json;
using System.Text.Json.Nodes;
using StbImageWriteSharp;

using NotebookSsl.Notebooks.Display;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// The kernelspecs (<c>nbssl-csharp</c>, <c>nbssl-fsharp</c>) that make Jupyter front-ends start this kernel:
/// a folder per kernel with <c>kernel.json</c> (argv, display name, language, interrupt mode) and logos.
/// </summary>
internal static class KernelSpecs
{
    /// <summary>Kernel name → (display name, default cell language).</summary>
    public static readonly IReadOnlyDictionary<string, (string DisplayName, string Language)> Kernels =
        new Dictionary<string, (string, string)>
        {
            ["nbssl-csharp"] = ("C# (nbssl)", "csharp"),
            ["nbssl-fsharp"] = ("F# (nbssl)", "fsharp"),
        };

    /// <summary>The per-user Jupyter data folder's kernels directory (JUPYTER_DATA_DIR when set).</summary>
    public static string UserKernelsDir()
    {
        var data = Environment.GetEnvironmentVariable("JUPYTER_DATA_DIR");
        if (string.IsNullOrEmpty(data))
        {
            if (OperatingSystem.IsWindows()) data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "jupyter");
            else if (OperatingSystem.IsMacOS()) data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "Library", "Jupyter");
            else
            {
                var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
                data = Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg, "jupyter");
            }
        }
        return Path.Combine(data, "kernels");
    }

    /// <summary>The kernels directory under an installation prefix (as <c>jupyter kernelspec install --prefix</c>).</summary>
    public static string PrefixKernelsDir(string prefix) => Path.Combine(Path.GetFullPath(prefix), "share", "jupyter", "kernels");

    /// <summary>Every kernels directory Jupyter searches, in its order: JUPYTER_PATH, the user's, then the system's.</summary>
    public static IEnumerable<string> SearchPath()
    {
        var jp = Environment.GetEnvironmentVariable("JUPYTER_PATH");
        if (!string.IsNullOrEmpty(jp))
            foreach (var p in jp.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)) yield return Path.Combine(p, "kernels");
        yield return UserKernelsDir();
        if (!OperatingSystem.IsWindows())
        {
            yield return "/usr/local/share/jupyter/kernels";
            yield return "/usr/share/jupyter/kernels";
        }
    }

    /// <summary>The argv that starts a kernel: the dotnet host running this very nbssl.dll.</summary>
    public static JsonArray Argv(string dotnet, string nbsslDll, string language) =>
        new(dotnet, nbsslDll, "kernel", "start", "--language", language, "-f", "{connection_file}");

    public static JsonObject KernelJson(string dotnet, string nbsslDll, string name) => new()
    {
        ["argv"] = Argv(dotnet, nbsslDll, Kernels[name].Language),
        ["display_name"] = Kernels[name].DisplayName,
        ["language"] = Kernels[name].Language,
        ["interrupt_mode"] = "message",
        // libtorch's OpenMP threads spin while they wait: on a busy machine training runs 20-50x slower
        ["env"] = new JsonObject { ["OMP_WAIT_POLICY"] = "PASSIVE" },
        ["metadata"] = new JsonObject { ["nbssl"] = new JsonObject { ["dll"] = nbsslDll } },
    };

    /// <summary>Writes both kernelspecs into <paramref name="kernelsDir"/>; returns the folders written.</summary>
    public static List<string> Install(string kernelsDir, string dotnet, string nbsslDll)
    {
        var written = new List<string>();
        foreach (var name in Kernels.Keys)
        {
            var dir = Path.Combine(kernelsDir, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "kernel.json"),
                KernelJson(dotnet, nbsslDll, name).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            File.WriteAllBytes(Path.Combine(dir, "logo-32x32.png"), Logo(32));
            File.WriteAllBytes(Path.Combine(dir, "logo-64x64.png"), Logo(64));
            // served by the Jupyter server at /kernelspecs/<name>/: charts draw offline (PlotlyOffline)
            File.WriteAllText(Path.Combine(dir, PlotlyOffline.FileName), PlotlyHtml.PlotlyJs);
            written.Add(dir);
        }
        return written;
    }

    /// <summary>Removes the nbssl kernelspecs from <paramref name="kernelsDir"/>; returns the folders removed.</summary>
    public static List<string> Uninstall(string kernelsDir)
    {
        var removed = new List<string>();
        foreach (var name in Kernels.Keys)
        {
            var dir = Path.Combine(kernelsDir, name);
            if (!File.Exists(Path.Combine(dir, "kernel.json"))) continue;
            Directory.Delete(dir, recursive: true);
            removed.Add(dir);
        }
        return removed;
    }

    /// <summary>The nbssl kernelspecs Jupyter would find: (name, folder, argv).</summary>
    public static List<(string Name, string Dir, string Argv)> List()
    {
        var found = new List<(string, string, string)>();
        foreach (var kernels in SearchPath().Distinct())
            foreach (var name in Kernels.Keys)
            {
                var file = Path.Combine(kernels, name, "kernel.json");
                if (!File.Exists(file)) continue;
                string argv;
                try { argv = string.Join(' ', JsonNode.Parse(File.ReadAllText(file))?["argv"]?.AsArray().Select(a => a?.ToString()) ?? []); }
                catch (JsonException) { argv = "(kernel.json is not valid JSON)"; }
                found.Add((name, Path.GetDirectoryName(file)!, argv));
            }
        return found;
    }

    /// <summary>
    /// The logo: a 4x4 grid of image patches with three quarters of them masked (grey), the masked-image-modeling
    /// picture this repository is about.
    /// </summary>
    public static byte[] Logo(int size)
    {
        var rgb = new byte[size * size * 3];
        bool[] visible = [true, false, false, false, false, false, true, false, false, true, false, false, false, false, false, true];
        int cell = size / 4, gap = Math.Max(1, size / 32);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int px = Math.Min(3, x / cell), py = Math.Min(3, y / cell);
                bool border = x % cell < gap || y % cell < gap;
                (byte r, byte g, byte b) = border ? ((byte)255, (byte)255, (byte)255)
                    : visible[py * 4 + px] ? ((byte)(90 + 40 * px), (byte)60, (byte)(200 - 30 * py)) : ((byte)170, (byte)170, (byte)170);
                int o = (y * size + x) * 3;
                rgb[o] = r; rgb[o + 1] = g; rgb[o + 2] = b;
            }
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(rgb, size, size, ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }
}
