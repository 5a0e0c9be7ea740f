using System.Text.Json.Nodes;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>
/// A Jupyter connection file: where the five sockets listen and the key messages are signed with
/// (written by the front-end, e.g. jupyter_client, which then starts the kernel with its path).
/// </summary>
internal sealed record ConnectionInfo(
    string Transport, string Ip, int ShellPort, int IopubPort, int StdinPort, int ControlPort, int HeartbeatPort,
    string Key, string SignatureScheme)
{
    public static ConnectionInfo Read(string path)
    {
        var o = JsonNode.Parse(File.ReadAllText(path))?.AsObject()
            ?? throw new ArgumentException($"connection file {path} is not a JSON object");
        int Port(string name) => o[name]?.GetValue<int>() ?? throw new ArgumentException($"connection file {path} has no '{name}'");
        var info = new ConnectionInfo(
            o["transport"]?.GetValue<string>() ?? "tcp", o["ip"]?.GetValue<string>() ?? "127.0.0.1",
            Port("shell_port"), Port("iopub_port"), Port("stdin_port"), Port("control_port"), Port("hb_port"),
            o["key"]?.GetValue<string>() ?? "", o["signature_scheme"]?.GetValue<string>() ?? "hmac-sha256");
        if (info.Transport != "tcp")
            throw new ArgumentException($"connection file {path}: transport '{info.Transport}' is not supported (only tcp)");
        if (info.Key.Length > 0 && info.SignatureScheme != "hmac-sha256")
            throw new ArgumentException($"connection file {path}: signature scheme '{info.SignatureScheme}' is not supported (only hmac-sha256)");
        return info;
    }

    public string Address(int port) => $"tcp://{(Ip is "" or "*" ? "0.0.0.0" : Ip)}:{port}";
}
