using System.CommandLine;
using NotebookSsl.Notebooks.Jupyter;

namespace NotebookSsl.Cli.Commands;

/// <summary>
/// `nbssl kernel install|list|uninstall|start`: the Jupyter kernel for the C# and F# notebooks. `install` writes
/// the kernelspecs (nbssl-csharp, nbssl-fsharp) whose argv runs this very nbssl.dll with the dotnet host; Jupyter
/// then runs `kernel start -f CONNECTION_FILE`.
/// </summary>
static class KernelCommand
{
    public static Command Create()
    {
        var command = new Command("kernel", "The Jupyter kernel for C# and F# notebooks (VS Code, JupyterLab, the classic notebook): install, list, uninstall, start.")
        {
            Install(), List(), Uninstall(), Start(),
        };
        return command;
    }

    static (Option<bool> User, Option<string?> Prefix) Where()
    {
        var user = new Option<bool>("--user") { Description = "the per-user Jupyter data folder (the default; JUPYTER_DATA_DIR when set)" };
        var prefix = new Option<string?>("--prefix") { Description = "DIR/share/jupyter/kernels instead (a virtual environment, a temporary JUPYTER_PATH)" };
        prefix.Validators.Add(r =>
        {
            // the kernels go to DIR/share/jupyter/kernels: every existing part of that path must be a folder
            if (r.GetValueOrDefault<string?>() is not { } dir) return;
            var full = Path.GetFullPath(dir);
            for (var p = full; p is not null; p = Path.GetDirectoryName(p))
                if (File.Exists(p))
                {
                    r.AddError(p == full ? $"--prefix takes a folder; {dir} is a file" : $"--prefix {dir} cannot hold the kernels: {p} is a file, not a folder");
                    return;
                }
        });
        return (user, prefix);
    }

    static string KernelsDir(bool user, string? prefix)
    {
        if (user && prefix is not null) throw new UsageException("--user and --prefix exclude each other");
        return prefix is null ? KernelSpecs.UserKernelsDir() : KernelSpecs.PrefixKernelsDir(prefix);
    }

    static Command Install()
    {
        var (user, prefix) = Where();
        var command = new Command("install", "Writes the kernelspecs nbssl-csharp and nbssl-fsharp (kernel.json that runs this nbssl.dll, logos, plotly.js).") { user, prefix };
        command.SetAction(parsed =>
        {
            var dir = KernelsDir(parsed.GetValue(user), parsed.GetValue(prefix));
            var dll = typeof(KernelCommand).Assembly.Location;
            foreach (var d in KernelSpecs.Install(dir, DotnetHost(), dll))
                Console.WriteLine($"installed {Path.GetFileName(d)} in {d}");
            Console.WriteLine($"the kernels run {dll}: rebuild it to update them, reinstall if it moves");
            return 0;
        });
        return command;
    }

    static Command Uninstall()
    {
        var (user, prefix) = Where();
        var command = new Command("uninstall", "Removes the nbssl kernelspecs from the user's (or --prefix) kernels folder.") { user, prefix };
        command.SetAction(parsed =>
        {
            var dir = KernelsDir(parsed.GetValue(user), parsed.GetValue(prefix));
            var removed = KernelSpecs.Uninstall(dir);
            foreach (var d in removed) Console.WriteLine($"removed {d}");
            if (removed.Count == 0) Console.WriteLine($"no nbssl kernelspec in {dir}");
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var command = new Command("list", "The nbssl kernelspecs Jupyter finds (JUPYTER_PATH, the user's folder, the system's), with the command each runs.");
        command.SetAction(_ =>
        {
            var found = KernelSpecs.List();
            foreach (var (name, dir, argv) in found) Console.WriteLine($"{name,-14} {dir}\n{"",-14} {argv}");
            if (found.Count == 0) Console.WriteLine("no nbssl kernelspec installed (nbssl kernel install)");
            return 0;
        });
        return command;
    }

    static Command Start()
    {
        var connection = new Option<string>("--connection-file", "-f") { Description = "the connection file Jupyter wrote (ports, key)", Required = true };
        var language = new Option<string>("--language") { Description = "the default cell language: csharp or fsharp", DefaultValueFactory = _ => "csharp" };
        language.AcceptOnlyFromAmong("csharp", "fsharp");
        var command = new Command("start", "Runs the kernel on a connection file (Jupyter runs this, from kernel.json).") { connection, language };
        command.SetAction(parsed =>
        {
            var info = ConnectionInfo.Read(parsed.GetValue(connection)!);
            var log = new StreamWriter(NotebookSsl.Notebooks.Execution.CellExecutor.OpenStandardError()) { AutoFlush = true };
            var server = new KernelServer(info, parsed.GetValue(language)!, log);
            var code = server.Run(Environment.CurrentDirectory);
            log.Flush();
            // a cell may still be running (a tight loop the interrupt could not stop): leave without waiting for it
            Environment.Exit(code);
            return code;
        });
        return command;
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
}
