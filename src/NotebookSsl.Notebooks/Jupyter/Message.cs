using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NetMQ;

namespace NotebookSsl.Notebooks.Jupyter;

/// <summary>One Jupyter message (protocol 5.3): routing identities, the four JSON parts, and binary buffers.</summary>
internal sealed class Message
{
    public List<byte[]> Identities { get; init; } = [];
    public required JsonObject Header { get; init; }
    public JsonObject ParentHeader { get; init; } = new();
    public JsonObject Metadata { get; init; } = new();
    public JsonObject Content { get; init; } = new();
    public List<byte[]> Buffers { get; init; } = [];

    public string Type => Header["msg_type"]?.GetValue<string>() ?? "";
    public string Id => Header["msg_id"]?.GetValue<string>() ?? "";
    public string Session => Header["session"]?.GetValue<string>() ?? "";

    /// <summary>Set when a signed message's parent header, metadata or content could not be read (they are then empty).</summary>
    public string? Unreadable { get; internal set; }
}

/// <summary>
/// The wire format: <c>[identities..., "&lt;IDS|MSG&gt;", signature, header, parent_header, metadata, content, buffers...]</c>,
/// the signature being the hex HMAC-SHA256 of the four JSON frames under the connection file's key
/// (empty when the key is empty: signing off).
/// </summary>
internal sealed class Wire(string key)
{
    public const string ProtocolVersion = "5.3";
    static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();
    readonly byte[] keyBytes = Encoding.UTF8.GetBytes(key);

    /// <summary>This kernel's session id (the header's "session" of every message it sends).</summary>
    public string Session { get; } = Guid.NewGuid().ToString();

    public JsonObject NewHeader(string msgType) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString(),
        ["session"] = Session,
        ["username"] = "kernel",
        ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"),
        ["msg_type"] = msgType,
        ["version"] = ProtocolVersion,
    };

    /// <summary>A new message of <paramref name="msgType"/> in reply to (or caused by) <paramref name="parent"/>.</summary>
    public Message Create(string msgType, JsonObject content, Message? parent, List<byte[]>? identities = null) => new()
    {
        Identities = identities ?? parent?.Identities ?? [],
        Header = NewHeader(msgType),
        ParentHeader = parent is null ? new JsonObject() : (JsonObject)parent.Header.DeepClone(),
        Content = content,
    };

    public string Sign(params byte[][] parts)
    {
        if (keyBytes.Length == 0) return "";
        using var hmac = new HMACSHA256(keyBytes);
        foreach (var p in parts) hmac.TransformBlock(p, 0, p.Length, null, 0);
        hmac.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(hmac.Hash!);
    }

    public NetMQMessage Serialize(Message m, string? topic = null)
    {
        var parts = new[] { m.Header, m.ParentHeader, m.Metadata, m.Content }
            .Select(o => Encoding.UTF8.GetBytes(o.ToJsonString())).ToArray();
        var frames = new NetMQMessage();
        if (topic is not null) frames.Append(Encoding.UTF8.GetBytes(topic));
        else foreach (var id in m.Identities) frames.Append(id);
        frames.Append(Delimiter);
        frames.Append(Encoding.ASCII.GetBytes(Sign(parts)));
        foreach (var p in parts) frames.Append(p);
        foreach (var b in m.Buffers) frames.Append(b);
        return frames;
    }

    /// <summary>The message in <paramref name="frames"/>, or null with <paramref name="problem"/> set when it is malformed or its signature is wrong.</summary>
    public Message? Parse(NetMQMessage frames, out string? problem)
    {
        var all = frames.Select(f => f.ToByteArray()).ToList();
        var at = all.FindIndex(f => f.AsSpan().SequenceEqual(Delimiter));
        if (at < 0 || all.Count < at + 6) { problem = "malformed message (no <IDS|MSG> delimiter or fewer than 5 parts after it)"; return null; }
        var signature = all[at + 1];
        var parts = all.Skip(at + 2).Take(4).ToArray();
        if (keyBytes.Length > 0)
        {
            var expected = Encoding.ASCII.GetBytes(Sign(parts));
            var given = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(signature).ToLowerInvariant());
            if (!CryptographicOperations.FixedTimeEquals(expected, given)) { problem = "bad signature"; return null; }
        }
        JsonObject Obj(byte[] b) => b.Length == 0 ? new JsonObject() : JsonNode.Parse(b)?.AsObject() ?? new JsonObject();
        JsonObject header = new();
        try
        {
            header = Obj(parts[0]);
            problem = header["msg_type"] is null ? "message without msg_type"
                : header["msg_type"]!.GetValueKind() != System.Text.Json.JsonValueKind.String ? "msg_type is not a string" : null;
            if (problem is null) _ = header["msg_type"]!.GetValue<string>();   // throws on invalid UTF-8
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            problem = "malformed header: " + e.Message;
        }
        if (problem is not null) return null;   // no type to answer with: dropped
        // A signed message with a readable header is answered even when the rest is not readable: the front-end
        // waits for the reply. Its Unreadable says what is wrong, and its unreadable parts are empty.
        string? unreadable = null;
        JsonObject Part(int i, string name)
        {
            try { return Obj(parts[i]); }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                unreadable ??= $"{name} is not valid JSON ({e.Message})";
                return new JsonObject();
            }
        }
        var m = new Message
        {
            Identities = all.Take(at).ToList(),
            Header = header, ParentHeader = Part(1, "parent_header"), Metadata = Part(2, "metadata"), Content = Part(3, "content"),
            Buffers = all.Skip(at + 6).ToList(),
        };
        m.Unreadable = unreadable;
        return m;
    }
}
