using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Runs;

/// <summary>
/// What identifies a stored run: a kind ("mae-pretrain", "supervised", ...), the config record(s) that
/// define it and a seed. <see cref="Hash"/> is the SHA-256 of <see cref="CanonicalJson"/>, so the same
/// config and seed always name the same run, on any machine.
/// </summary>
public sealed class RunKey
{
    /// <summary>Bumped when the stored layout or the meaning of a key changes: old runs are then trained again.</summary>
    public const int FormatVersion = 1;

    public RunKey(string kind, object config, int seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(config);
        if (kind.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new ArgumentException($"A run kind may hold only ASCII letters, digits, '-', '_' and '.', got '{kind}'.", nameof(kind));
        Kind = kind;
        Seed = seed;
        var node = new JsonObject
        {
            ["format"] = FormatVersion,
            ["kind"] = kind,
            ["seed"] = seed,
            ["config"] = JsonSerializer.SerializeToNode(config, config.GetType(), RunJson.Options),
        };
        CanonicalJson = Canonical(node);
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson)));
    }

    public string Kind { get; }
    public int Seed { get; }
    /// <summary>The key as JSON with object keys sorted (ordinal) and no white space.</summary>
    public string CanonicalJson { get; }
    /// <summary>64 lower-case hex digits.</summary>
    public string Hash { get; }
    /// <summary>The run's folder name under the store: kind, then the first 16 hex digits of the hash.</summary>
    public string FolderName => $"{Kind}-{Hash[..16]}";

    public override string ToString() => $"{Kind} (seed {Seed}, {Hash[..12]})";

    /// <summary>Sorts object members recursively and writes compact JSON.</summary>
    static string Canonical(JsonNode? node)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(writer, node);
        return Encoding.UTF8.GetString(buffer.ToArray());

        static void Write(Utf8JsonWriter writer, JsonNode? node)
        {
            switch (node)
            {
                case null: writer.WriteNullValue(); break;
                case JsonObject o:
                    writer.WriteStartObject();
                    foreach (var (name, child) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        writer.WritePropertyName(name);
                        Write(writer, child);
                    }
                    writer.WriteEndObject();
                    break;
                case JsonArray a:
                    writer.WriteStartArray();
                    foreach (var child in a) Write(writer, child);
                    writer.WriteEndArray();
                    break;
                default: node.WriteTo(writer); break;
            }
        }
    }
}

/// <summary>A run from the store: the model (trained now or loaded), its metrics and where it lies.</summary>
public sealed record StoredRun<TModel, TMetrics>(TModel Model, TMetrics Metrics, bool Loaded, string Folder, RunEnvironment Environment);

/// <summary>Metrics-only results (probe accuracies, measurements) from the store.</summary>
public sealed record StoredResult<TMetrics>(TMetrics Metrics, bool Loaded, string Folder, RunEnvironment Environment);

/// <summary>
/// Trained runs kept on disk by the hash of their config, so a notebook run again (or another notebook
/// asking for the same run) loads instead of training. A run is a folder <c>{kind}-{hash16}</c> holding
/// <c>weights.safetensors</c> (<see cref="IO.Weights.Save"/>, official names), <c>metrics.json</c>,
/// <c>config.json</c> (the key's canonical JSON) and <c>environment.json</c> (<see cref="RunEnvironment"/>
/// of the machine that trained it), and <c>checksums.json</c> (SHA-256 of the others). It is written in a
/// hidden temporary folder and moved into place in one step, so a run interrupted half-way is never seen;
/// a folder whose config.json does not match its key (or lacks a file) is not trusted: it is trained again
/// and replaced. A run that fails its checksums, cannot be read, or whose weights hold NaN or ±∞ is moved
/// aside (<c>{folder}.corrupt-{time}</c>, kept) and trained again, and the store says so; so is one without
/// checksums.json, or whose weights' metadata names another run's hash.
/// <para>
/// Training, moving aside and committing a key happen under the key's lock (<see cref="FileLock"/>,
/// <c>.{kind}-{hash16}.lock</c>): a second process or thread asking for a key being trained waits, says for
/// whom, then loads what the first stored. Under the lock, a complete <c>.part</c> folder of the key (a process
/// killed between writing and moving it) is verified and put in place, any other removed.
/// The folder is checked for writability before any training (<see cref="EnsureWritable"/>).
/// </para>
/// </summary>
public sealed class RunStore
{
    /// <summary>Environment variable that overrides the default folder.</summary>
    public const string EnvironmentVariable = "NBSSL_RUNS";

    /// <param name="root">The folder; default: $NBSSL_RUNS, else <c>runs/</c> at the repository root (beside NotebookSsl.sln), else ./runs.</param>
    /// <param name="log">Where the store says what it did about a damaged run; default: the console.</param>
    public RunStore(string? root = null, Action<string>? log = null)
    {
        Root = Path.GetFullPath(root ?? DefaultRoot());
        this.log = log ?? Console.WriteLine;
    }

    readonly Action<string> log;

    public string Root { get; }

    /// <summary>The file of a run that lists the SHA-256 of its other files, written when the run is committed.</summary>
    public const string ChecksumsFile = "checksums.json";

    /// <summary>$NBSSL_RUNS, else runs/ in <see cref="RepositoryRoot.OrCurrentFolder"/>.</summary>
    public static string DefaultRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? Path.Combine(RepositoryRoot.OrCurrentFolder(), "runs") : fromEnvironment;
    }

    /// <summary>The folder a key's run lives in (whether or not it exists yet).</summary>
    public string FolderOf(RunKey key) => Path.Combine(Root, key.FolderName);

    /// <summary>Whether a complete run for the key is stored.</summary>
    public bool Contains(RunKey key) => IsComplete(FolderOf(key), key, withWeights: false);

    /// <summary>
    /// The stored run of <paramref name="key"/> loaded into a fresh <paramref name="build"/>(), or, when there
    /// is none, <paramref name="train"/> run on a fresh build() and the result stored. Seed the build
    /// (e.g. <c>() =&gt; Seeds.Build(seed, ...)</c>) so a trained and a loaded run start alike. While one caller (a process, or a thread of this one) trains a key, another asking for the
    /// same key waits for it, says so, and then loads its run; different keys never wait for each other.
    /// </summary>
    public StoredRun<TModel, TMetrics> GetOrTrain<TModel, TMetrics>(RunKey key, Func<TModel> build, Func<TModel, TMetrics> train)
        where TModel : Module => GetOrTrain(key, build, train, afterCommit: null);

    StoredRun<TModel, TMetrics> GetOrTrain<TModel, TMetrics>(RunKey key, Func<TModel> build, Func<TModel, TMetrics> train, Action? afterCommit)
        where TModel : Module
    {
        ArgumentNullException.ThrowIfNull(key);
        var folder = FolderOf(key);
        // a committed run is only ever put in place by one move: reading it needs no lock (and works on a read-only store)
        var (run, damage) = TryLoadRun<TModel, TMetrics>(key, folder, build, underLock: false);
        if (run is not null) return run;
        using var held = LockKey(key, damage);
        SettleLeftovers(key, withWeights: true);
        (run, damage) = TryLoadRun<TModel, TMetrics>(key, folder, build, underLock: true);   // stored while we waited?
        if (run is not null) return run;
        if (damage is not null) MoveAside(folder, damage);
        var trained = build();
        var metrics = train(trained);
        var environment = RunEnvironment.Capture();
        Commit(key, folder, environment, temp =>
        {
            WriteJson(Path.Combine(temp, "metrics.json"), metrics);
            IO.Weights.Save(trained, Path.Combine(temp, WeightsFile),
                new Dictionary<string, string> { ["kind"] = key.Kind, ["hash"] = key.Hash, ["seed"] = key.Seed.ToString() });
        });
        afterCommit?.Invoke();
        return new StoredRun<TModel, TMetrics>(trained, metrics, false, folder, environment);
    }

    /// <summary>
    /// As <see cref="GetOrTrain{TModel, TMetrics}(RunKey, Func{TModel}, Func{TModel, TMetrics})"/>, for a training
    /// that checkpoints (pass the <see cref="Checkpointing"/> to <c>Steps(..., checkpoint: ...)</c>): when an earlier
    /// attempt was interrupted, the run resumes from its last checkpoint (and says so); the checkpoints are
    /// removed once the run is stored. A checkpoint that fails its checksums is moved aside and the training
    /// starts over (<see cref="Checkpointing"/>). Only the caller holding the key's lock touches its checkpoints.
    /// </summary>
    /// <param name="checkpointEvery">Steps between checkpoints.</param>
    public StoredRun<TModel, TMetrics> GetOrTrain<TModel, TMetrics>(RunKey key, Func<TModel> build, Func<TModel, Checkpointing, TMetrics> train,
        int checkpointEvery = 100) where TModel : Module
    {
        ArgumentNullException.ThrowIfNull(key);
        var checkpoint = CheckpointOf(key, checkpointEvery);
        return GetOrTrain(key, build, model =>
        {
            if (checkpoint.SavedStep() is { } step) log($"run store: resuming {key} from its checkpoint after step {step}.");
            return train(model, checkpoint);
        }, afterCommit: checkpoint.Clear);
    }

    /// <summary>Where the checkpoints of a key's training go: <c>.{kind}-{hash16}.checkpoint/</c> in the store.</summary>
    public Checkpointing CheckpointOf(RunKey key, int every = 100) =>
        new(Path.Combine(Root, $".{key.FolderName}.checkpoint"), every, key.Hash) { Log = log };

    /// <summary>As <see cref="GetOrTrain{TModel, TMetrics}(RunKey, Func{TModel}, Func{TModel, TMetrics})"/> for results without weights (probe scores, measurements).</summary>
    public StoredResult<TMetrics> GetOrCompute<TMetrics>(RunKey key, Func<TMetrics> compute)
    {
        ArgumentNullException.ThrowIfNull(key);
        var folder = FolderOf(key);
        var (result, damage) = TryLoadResult<TMetrics>(key, folder, underLock: false);
        if (result is not null) return result;
        using var held = LockKey(key, damage);
        SettleLeftovers(key, withWeights: false);
        (result, damage) = TryLoadResult<TMetrics>(key, folder, underLock: true);
        if (result is not null) return result;
        if (damage is not null) MoveAside(folder, damage);
        var metrics = compute();
        var environment = RunEnvironment.Capture();
        Commit(key, folder, environment, temp => WriteJson(Path.Combine(temp, "metrics.json"), metrics));
        return new StoredResult<TMetrics>(metrics, false, folder, environment);
    }

    const string WeightsFile = "weights.safetensors";

    /// <summary>
    /// The complete run of the key, verified and loaded, or null with why it is damaged (null when there is no
    /// complete run). Without the lock a run may be moved aside while read: then it is only "not loaded", and
    /// the caller looks again under the lock.
    /// </summary>
    (StoredRun<TModel, TMetrics>? Run, string? Damage) TryLoadRun<TModel, TMetrics>(RunKey key, string folder, Func<TModel> build, bool underLock)
        where TModel : Module
    {
        if (!IsComplete(folder, key, withWeights: true)) return (null, null);
        TModel? model = default;
        try
        {
            Verify(folder);
            model = build();
            var metadata = IO.Weights.Load(model, Path.Combine(folder, WeightsFile));
            // the checksums prove the files are as written, this that they were written for this key
            if (!metadata.TryGetValue("hash", out var hash))
                throw new InvalidDataException($"{WeightsFile} carries no run hash in its metadata, so it cannot be told apart from another run's");
            if (hash != key.Hash)
                throw new InvalidDataException($"{WeightsFile} belongs to another run (its metadata names run {hash[..Math.Min(12, hash.Length)]}, this is {key.Hash[..12]})");
            if (NonFinite(model) is { } tensor) throw new InvalidDataException($"{WeightsFile} holds NaN or ±∞ in {tensor}");
            return (new StoredRun<TModel, TMetrics>(model, ReadMetrics<TMetrics>(folder), true, folder, ReadEnvironment(folder)), null);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)   // ArgumentException: weights of another shape
        {
            model?.Dispose();
            return (null, e.Message);
        }
        catch (IOException) when (!underLock)
        {
            model?.Dispose();
            return (null, null);
        }
    }

    (StoredResult<TMetrics>? Result, string? Damage) TryLoadResult<TMetrics>(RunKey key, string folder, bool underLock)
    {
        if (!IsComplete(folder, key, withWeights: false)) return (null, null);
        try
        {
            Verify(folder);
            return (new StoredResult<TMetrics>(ReadMetrics<TMetrics>(folder), true, folder, ReadEnvironment(folder)), null);
        }
        catch (InvalidDataException e) { return (null, e.Message); }
        catch (IOException) when (!underLock) { return (null, null); }
    }

    /// <summary>
    /// Takes the key's lock (<c>.{kind}-{hash16}.lock</c> in the store), waiting for whoever holds it and saying so.
    /// Checks first that the store can be written; when it cannot and the stored run is damaged, says both.
    /// </summary>
    FileLock LockKey(RunKey key, string? damage)
    {
        try { EnsureWritable(); }
        catch (IOException e) when (damage is not null)
        {
            throw new IOException($"run store: {FolderOf(key)} is damaged ({damage}) and cannot be moved aside and trained again: {e.Message} " +
                                  $"Make the store writable, or point ${EnvironmentVariable} at a writable folder.", e);
        }
        return FileLock.Acquire(Path.Combine(Root, $".{key.FolderName}.lock"),
            holder => log($"run store: waiting for {(holder is { } pid ? $"pid {pid}" : "another process")} which is training {key}."));
    }

    /// <summary>
    /// Under the key's lock, a <c>.part</c> folder of the key is what a process killed while committing left: one
    /// that is complete and passes its checksums is put in place (when no good run is), any other is removed.
    /// </summary>
    void SettleLeftovers(RunKey key, bool withWeights)
    {
        if (!Directory.Exists(Root)) return;
        var folder = FolderOf(key);
        foreach (var part in Directory.GetDirectories(Root, $".{key.FolderName}.*.part"))
        {
            bool adopt = !IsComplete(folder, key, withWeights) && IsComplete(part, key, withWeights);
            if (adopt)
            {
                try { Verify(part); }
                catch (InvalidDataException e) { adopt = false; log($"run store: removing {part}, left by a process that ended while storing it ({e.Message})."); }
            }
            if (adopt)
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);   // an untrusted leftover
                Directory.Move(part, folder);
                log($"run store: adopted {Path.GetFileName(part)}, complete and verified but left by a process that ended before moving it into place, as {key.FolderName}.");
            }
            else Directory.Delete(part, recursive: true);
        }
    }

    /// <summary>Throws an <see cref="IOException"/> saying why, when the store's folder cannot be written: checked before any training.</summary>
    public void EnsureWritable() => OutputFolder.EnsureWritable(Root, $"the run store (${EnvironmentVariable} or runs/)");

    /// <summary>Removes a key's run, if stored.</summary>
    public void Remove(RunKey key)
    {
        var folder = FolderOf(key);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    void Commit(RunKey key, string folder, RunEnvironment environment, Action<string> writeFiles)
    {
        Directory.CreateDirectory(Root);
        var temp = Path.Combine(Root, $".{key.FolderName}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            File.WriteAllText(Path.Combine(temp, "environment.json"), JsonSerializer.Serialize(environment, RunJson.Indented));
            var checksums = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in Directory.GetFiles(temp)) checksums[Path.GetFileName(file)] = Sha256(file);
            WriteJson(Path.Combine(temp, ChecksumsFile), checksums);
            File.WriteAllText(Path.Combine(temp, "config.json"), key.CanonicalJson);   // last: its presence marks a whole run
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);      // an untrusted leftover
            try { Directory.Move(temp, folder); }
            catch (IOException) when (IsComplete(folder, key, withWeights: false)) { /* another process stored it first */ }
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Checks every file listed in checksums.json against its SHA-256; throws an <see cref="InvalidDataException"/>
    /// naming the first that differs. A run without checksums.json is damaged: nothing vouches for its files.
    /// </summary>
    internal static void Verify(string folder)
    {
        var list = Path.Combine(folder, ChecksumsFile);
        if (!File.Exists(list)) throw new InvalidDataException($"{ChecksumsFile} is missing, so nothing vouches for its files");
        Dictionary<string, string>? expected;
        try { expected = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(list)); }
        catch (JsonException e) { throw new InvalidDataException($"{ChecksumsFile} cannot be read ({e.Message})", e); }
        if (expected is null || expected.Count == 0) throw new InvalidDataException($"{ChecksumsFile} lists no file");
        foreach (var (name, hash) in expected)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) throw new InvalidDataException($"{name} is missing");
            if (Sha256(path) != hash) throw new InvalidDataException($"{name} does not match the checksum recorded when the run was stored");
        }
    }

    /// <summary>The name of the first floating-point tensor of the model's state holding NaN or ±∞, or null.</summary>
    static string? NonFinite(Module model)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.state_dict())
            if (tensor.is_floating_point() && !tensor.isfinite().all().item<bool>()) return name;
        return null;
    }

    /// <summary>Renames a damaged run to <c>{folder}.corrupt-{time}</c> (kept for a look) and says so.</summary>
    void MoveAside(string folder, string reason)
    {
        var aside = $"{folder}.corrupt-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        if (Directory.Exists(aside)) aside += $"-{Guid.NewGuid():N}"[..9];
        try { Directory.Move(folder, aside); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"run store: {folder} is damaged ({reason}) and cannot be moved aside to train it again ({e.Message}). " +
                                  $"Make {Root} writable, remove the folder, or point ${EnvironmentVariable} at a writable folder.", e);
        }
        log($"run store: {Path.GetFileName(folder)} is damaged ({reason}); moved it to {aside} and training it again.");
    }

    internal static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    static bool IsComplete(string folder, RunKey key, bool withWeights)
    {
        var config = Path.Combine(folder, "config.json");
        if (!File.Exists(config) || !File.Exists(Path.Combine(folder, "metrics.json"))) return false;
        if (withWeights && !File.Exists(Path.Combine(folder, WeightsFile))) return false;
        return File.ReadAllText(config) == key.CanonicalJson;
    }

    static void WriteJson<T>(string path, T value) => File.WriteAllText(path, JsonSerializer.Serialize(value, RunJson.Indented));

    static TMetrics ReadMetrics<TMetrics>(string folder)
    {
        var path = Path.Combine(folder, "metrics.json");
        try
        {
            return JsonSerializer.Deserialize<TMetrics>(File.ReadAllText(path), RunJson.Options)
                   ?? throw new InvalidDataException($"{path} holds null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} cannot be read as {typeof(TMetrics).Name}: {e.Message} Remove the folder to train the run again.", e);
        }
    }

    static RunEnvironment ReadEnvironment(string folder)
    {
        var path = Path.Combine(folder, "environment.json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<RunEnvironment>(File.ReadAllText(path), RunJson.Options) ?? new() : new();
        }
        catch (JsonException) { return new(); }   // an older layout: the run is still good
    }
}
