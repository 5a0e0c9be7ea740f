using NotebookSsl.Notebooks.Jupyter;

namespace NotebookSsl.Cli;

/// <summary>
/// <c>nbssl kernel</c>: the Jupyter kernel for C# and F# notebooks. <c>install</c> writes the kernelspecs
/// (nbssl-csharp, nbssl-fsharp) whose argv runs this very nbssl.dll with the dotnet host; Jupyter then runs
/// <c>kernel start -f CONNECTION_FILE</c>.
/// </summary>
public static class KernelCommand
{
    public const string Usage = """
usage: nbssl kernel install [--user | --prefix DIR]   write the kernelspecs nbssl-csharp and nbssl-fsharp
       nbssl kernel list                              the nbssl kernelspecs Jupyter finds
       nbssl kernel uninstall [--user | --prefix DIR] remove them
       nbssl kernel start -f CONNECTION_FILE [--language csharp|fsharp]   (Jupyter runs this)

  --user is the default: the per-user Jupyter data folder (JUPYTER_DATA_DIR when set).
  --prefix DIR writes DIR/share/jupyter/kernels (for a virtual environment, or a temporary JUPYTER_PATH).
""";

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        return args[0] switch
        {
            "start" => Start(args[1..]),
            "install" => Install(args[1..]),
            "uninstall" => Uninstall(args[1..]),
            "list" => List(),
            _ => throw new ArgumentException($"unknown kernel command '{args[0]}'\n\n{Usage}"),
        };
    }

    static string KernelsDir(string[] args)
    {
        string? dir = null;
        for (int i = 0; i < args.Length; i++)
            dir = args[i] switch
            {
                "--user" => KernelSpecs.UserKernelsDir(),
                "--prefix" when i + 1 < args.Length => KernelSpecs.PrefixKernelsDir(args[++i]),
                "--prefix" => throw new ArgumentException("--prefix needs a folder"),
                var a => throw new ArgumentException($"unknown option '{a}'\n\n{Usage}"),
            };
        return dir ?? KernelSpecs.UserKernelsDir();
    }

    /// <summary>The dotnet host this process runs on (…/dotnet beside the shared framework), so the kernel runs the same runtime.</summary>
    static string DotnetHost()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return process;
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;   // <root>/shared/Microsoft.NETCore.App/<version>
        var host = Path.Combine(Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..")), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    static int Install(string[] args)
    {
        var dir = KernelsDir(args);
        var dll = typeof(KernelCommand).Assembly.Location;
        foreach (var d in KernelSpecs.Install(dir, DotnetHost(), dll))
            Console.WriteLine($"installed {Path.GetFileName(d)} in {d}");
        Console.WriteLine($"the kernels run {dll}: rebuild it to update them, reinstall if it moves");
        return 0;
    }

    static int Uninstall(string[] args)
    {
        var dir = KernelsDir(args);
        var removed = KernelSpecs.Uninstall(dir);
        foreach (var d in removed) Console.WriteLine($"removed {d}");
        if (removed.Count == 0) Console.WriteLine($"no nbssl kernelspec in {dir}");
        return 0;
    }

    static int List()
    {
        var found = KernelSpecs.List();
        foreach (var (name, dir, argv) in found) Console.WriteLine($"{name,-14} {dir}\n{"",-14} {argv}");
        if (found.Count == 0) Console.WriteLine("no nbssl kernelspec installed (nbssl kernel install)");
        return 0;
    }

    static int Start(string[] args)
    {
        string? connection = null, language = "csharp";
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "-f" or "--connection-file": connection = Value(); break;
                case "--language": language = Value(); break;
                default: throw new ArgumentException($"unknown option '{args[i]}'\n\n{Usage}");
            }
        }
        if (connection is null) throw new ArgumentException("kernel start needs -f CONNECTION_FILE (Jupyter passes it)");
        var log = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true };
        var server = new KernelServer(ConnectionInfo.Read(connection), language, log);
        var code = server.Run(Environment.CurrentDirectory);
        log.Flush();
        // a cell may still be running (a tight loop the interrupt could not stop): leave without waiting for it
        Environment.Exit(code);
        return code;
    }
}
