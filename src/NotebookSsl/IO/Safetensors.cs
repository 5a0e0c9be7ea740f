using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NotebookSsl.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.IO;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON
/// <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>,
/// then the raw little-endian tensor bytes, offsets relative to the end of the header.
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
/// </summary>
public static class Safetensors
{
    /// <summary>The format's own limit on the header size (100 MB), which also stops absurd allocations.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    const string MetadataKey = "__metadata__";

    static readonly (string Code, ScalarType Type, int Size)[] Dtypes =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    /// <summary>
    /// Loads every tensor of a safetensors file onto the CPU. The tensors join the caller's current
    /// dispose scope, if any. Throws <see cref="InvalidDataException"/> naming the file (and the tensor)
    /// when the file is malformed: bad header length, bad JSON, unknown dtype, offsets that disagree with
    /// the shape, overlapping or missing bytes, or a truncated file.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>As <see cref="Load(string)"/>, also returning the header's <c>__metadata__</c> (empty when absent).</summary>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file not found: {path}", path);

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var (entries, meta, dataStart) = ReadHeader(stream, path);
        metadata = meta;

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in entries)
            {
                var tensor = empty(e.Shape, e.Dtype.Type);
                result.Add(e.Name, tensor);
                var length = e.End - e.Begin;
                if (length == 0) continue;
                if (length > int.MaxValue)
                    throw new NotSupportedException(
                        $"{path}: tensor '{e.Name}' has {length} bytes; tensors over 2 GiB are not supported.");
                stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                var span = tensor.bytes;
                stream.ReadExactly(span);
                if (e.Dtype.Type == ScalarType.Bool && span.IndexOfAnyExcept((byte)0, (byte)1) is var bad and >= 0)
                    throw new InvalidDataException(
                        $"{path}: tensor '{e.Name}' (BOOL) holds byte {span[bad]} at element {bad}; BOOL bytes must be 0 or 1.");
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout; copied to contiguous CPU memory for the
    /// write) as a safetensors file: names in ordinal order, data packed without gaps, the header padded
    /// with spaces to a multiple of 8 bytes. The file is written under a temporary name in the same folder
    /// and moved into place, so a failed save leaves no file behind and does not touch an existing one.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        EnsureLittleEndian();

        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray();
        var plan = new List<(string Name, Tensor Tensor, string Code, long Bytes)>(names.Length);
        foreach (var name in names)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("Tensor names must not be empty.", nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
            var tensor = tensors[name] ?? throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            var dtype = Dtypes.FirstOrDefault(d => d.Type == tensor.dtype);
            if (dtype.Code is null)
                throw new ArgumentException(
                    $"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot hold here "
                    + $"(supported: {string.Join(", ", Dtypes.Select(d => d.Type))}).", nameof(tensors));
            var bytes = checked(tensor.NumberOfElements * dtype.Size);
            if (bytes > int.MaxValue)
                throw new ArgumentException($"Tensor '{name}' has {bytes} bytes; tensors over 2 GiB are not supported.", nameof(tensors));
            plan.Add((name, tensor, dtype.Code, bytes));
        }
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (k is null || v is null) throw new ArgumentException("Metadata keys and values must not be null.", nameof(metadata));

        var header = BuildHeader(plan.Select(p => (p.Name, p.Code, p.Tensor.shape, p.Bytes)), metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var p in plan) WriteData(stream, p.Tensor);
        });
    }

    sealed record Entry(string Name, (string Code, ScalarType Type, int Size) Dtype, long[] Shape, long Begin, long End);

    static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw new InvalidDataException($"{path}: {fileLength} bytes, too short for the 8-byte header length of a safetensors file.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength == 0 || headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: header length {headerLength} is outside 1..{MaxHeaderBytes}; not a safetensors file?");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidDataException(
                $"{path}: header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated or not safetensors.");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: the header must be a JSON object, found {doc.RootElement.ValueKind}.");

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new InvalidDataException($"{path}: the header names '{prop.Name}' twice.");
                if (prop.Name == MetadataKey)
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new InvalidDataException($"{path}: '{MetadataKey}' must be an object of strings.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new InvalidDataException($"{path}: metadata '{m.Name}' must be a string, found {m.Value.ValueKind}.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(prop, path));
            }

            // The tensors must tile the data section exactly: no gaps, no overlaps, nothing missing or left over.
            long expected = 0;
            foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (e.Begin != expected)
                    throw new InvalidDataException(e.Begin < expected
                        ? $"{path}: tensor '{e.Name}' starts at byte {e.Begin}, overlapping the previous tensor (which ends at {expected})."
                        : $"{path}: bytes {expected}..{e.Begin} before tensor '{e.Name}' belong to no tensor.");
                if (e.End > dataLength)
                    throw new InvalidDataException(
                        $"{path}: the file is truncated: tensor '{e.Name}' ends at data byte {e.End}, "
                        + $"but the data section holds only {dataLength} bytes.");
                expected = e.End;
            }
            if (expected != dataLength)
                throw new InvalidDataException(
                    $"{path}: the tensors cover {expected} data bytes but the data section holds {dataLength}; "
                    + "trailing bytes belong to no tensor.");
            return (entries, metadata, dataStart);
        }
    }

    static Entry ParseEntry(JsonProperty prop, string path)
    {
        var name = prop.Name;
        var v = prop.Value;
        string Where() => $"{path}: tensor '{name}'";
        if (v.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where()}: the header entry must be an object.");

        if (!v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Where()}: missing string 'dtype'.");
        var code = dtypeEl.GetString()!;
        var dtype = Dtypes.FirstOrDefault(d => d.Code == code);
        if (dtype.Code is null)
            throw new InvalidDataException($"{Where()}: unsupported dtype '{code}' (supported: {string.Join(", ", Dtypes.Select(d => d.Code))}).");

        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{Where()}: missing array 'shape'.");
        var shape = new long[shapeEl.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var n) || n < 0)
                throw new InvalidDataException($"{Where()}: shape entries must be non-negative integers, found {d.GetRawText()}.");
            shape[i++] = n;
        }

        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new InvalidDataException($"{Where()}: 'data_offsets' must be an array [begin, end].");
        var offsets = new long[2];
        i = 0;
        foreach (var d in offEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var n) || n < 0)
                throw new InvalidDataException($"{Where()}: data_offsets must be non-negative integers, found {d.GetRawText()}.");
            offsets[i++] = n;
        }
        if (offsets[1] < offsets[0])
            throw new InvalidDataException($"{Where()}: data_offsets [{offsets[0]}, {offsets[1]}] end before they begin.");

        long bytes;
        try
        {
            bytes = dtype.Size;
            foreach (var d in shape) bytes = checked(bytes * d);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{Where()}: shape [{string.Join(", ", shape)}] is too large.");
        }
        if (offsets[1] - offsets[0] != bytes)
            throw new InvalidDataException(
                $"{Where()}: shape [{string.Join(", ", shape)}] of {code} needs {bytes} bytes, "
                + $"but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}.");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    static byte[] BuildHeader(IEnumerable<(string Name, string Code, long[] Shape, long Bytes)> items,
                              IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, code, shape, bytes) in items)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", code);
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        var padding = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.NumberOfElements == 0) return;
        // Only the copies made here are disposed; the caller's tensor is never touched.
        Tensor? onCpu = tensor.device_type == DeviceType.CPU ? null : tensor.cpu();
        var source = onCpu ?? tensor;
        Tensor? packed = source.is_contiguous() ? null : source.contiguous();
        try
        {
            stream.Write((packed ?? source).bytes);
        }
        finally
        {
            packed?.Dispose();
            onCpu?.Dispose();
        }
    }

    static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors I/O here assumes a little-endian machine.");
    }
}
