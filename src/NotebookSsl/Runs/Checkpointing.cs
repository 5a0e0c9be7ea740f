using System.Text.Json;
using NotebookSsl.Models;
using NotebookSsl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.Runs;

/// <summary>
/// Where and how often a training saves its state, so that running it again resumes instead of starting
/// over (runs at <c>full</c> take hours). Pass it to <see cref="Trainer.Steps"/> (or a method's
/// <c>Steps</c>); the run store hands one to every training it runs
/// (<see cref="RunStore.GetOrTrain{TModel, TMetrics}(RunKey, Func{TModel}, Func{TModel, Checkpointing, TMetrics}, int)"/>).
/// <para>
/// A checkpoint holds everything the next step depends on: the model's state dict (keep an EMA teacher
/// inside the model), the optimizer's state, the position in the schedule, the epoch's data order, the
/// trainer's generator and libtorch's global generator, and the step records so far (replayed on resume,
/// so a loss curve is whole). Each is written into a new folder <c>step-NNNNNNNNN</c> that is renamed into
/// place when complete; older ones are then removed. On CPU a resumed run gives the same weights, bit for
/// bit, as one that was never interrupted.
/// </para>
/// <para>
/// Each checkpoint ends with <c>checksums.json</c> (SHA-256 of its other files, written last: its presence
/// marks it whole) and is verified before anything is restored from it. One that fails (or has no checksums)
/// is moved aside to <c>{Folder}.corrupt-{time}</c>, the training starts from step 0, and <see cref="Log"/> says
/// which file was wrong. A training that has finished can keep its final weights here too
/// (<see cref="SaveFinished"/>), so a job killed after pretraining but before it is done does not pretrain again.
/// </para>
/// </summary>
/// <param name="Folder">The folder the checkpoints go to (one training per folder).</param>
/// <param name="Every">Steps between checkpoints.</param>
/// <param name="Identity">
/// What else defines the training (e.g. a run key's hash, or the recipe as JSON): a checkpoint made for
/// another identity is not resumed. The trainer itself checks the <see cref="TrainConfig"/>, the number of
/// images and the model's state names and shapes; settings outside those (a mask ratio) belong here.
/// </param>
public sealed record Checkpointing(string Folder, int Every = 100, string? Identity = null)
{
    const string StateFile = "state.safetensors", OptimizerFile = "optimizer.bin", TrainerFile = "trainer.json",
        ChecksumsFile = "checksums.json", FinishedFolder = "finished";

    /// <summary>Where a damaged checkpoint is reported (which file, where it was moved); default: the console.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The step the latest complete, intact checkpoint resumes at (steps done), or null when there is none.</summary>
    public long? SavedStep()
    {
        if (Latest() is not { } latest) return null;
        try { RunStore.Verify(latest); }
        catch (InvalidDataException) { return null; }
        return ReadTrainer(latest)?.Step;
    }

    /// <summary>Removes the folder and every checkpoint in it (after the finished run has been stored).</summary>
    public void Clear()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Folder);
        if (Every < 1) throw new ArgumentOutOfRangeException(nameof(Every), Every, "Checkpoints need at least 1 step between them.");
    }

    internal sealed record TrainerState(long Step, string Fingerprint, List<StepRecord> Records);

    /// <summary>What a checkpoint must agree on to be resumed: the recipe, the data size and the model's state names and shapes.</summary>
    internal string Fingerprint(Module model, TrainConfig config, long images) =>
        JsonSerializer.Serialize(new
        {
            identity = Identity, config, images,
            state = model.state_dict().Select(kv => $"{kv.Key}:{Shapes.Of(kv.Value)}").ToArray(),
        }, RunJson.Options);

    /// <summary>Writes the state after <paramref name="step"/> steps, atomically, and removes older checkpoints.</summary>
    internal void Save(long step, string fingerprint, Module model, FlatAdamW optimizer, Generator generator, Tensor order,
        IReadOnlyList<StepRecord> records)
    {
        using var scope = NewDisposeScope();
        Directory.CreateDirectory(Folder);
        var name = $"step-{step:D9}";
        var temp = Path.Combine(Folder, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(temp);
        try
        {
            var tensors = model.state_dict().ToDictionary(kv => "model." + kv.Key, kv => kv.Value.detach().cpu());
            tensors["trainer.generator"] = generator.get_state();
            tensors["trainer.rng"] = get_rng_state();
            tensors["trainer.order"] = order.cpu();
            IO.Safetensors.Save(Path.Combine(temp, StateFile), tensors);
            AtomicFile.Write(Path.Combine(temp, OptimizerFile), stream =>
            {
                using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.Save(writer);
            });
            AtomicFile.WriteJson(Path.Combine(temp, TrainerFile), new TrainerState(step, fingerprint, records.ToList()));
            WriteChecksums(temp);   // last: marks it whole
            var final = Path.Combine(Folder, name);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
            // older checkpoints, and the .part folders of a process killed while saving (one training per folder)
            foreach (var old in Directory.GetDirectories(Folder, "step-*").Concat(Directory.GetDirectories(Folder, ".step-*.part"))
                         .Where(d => Path.GetFileName(d) != name && d != temp))
                Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Restores the latest checkpoint whose fingerprint matches into the model, the optimizer and the
    /// generators; returns its step, records and the epoch's data order, or null (nothing restored) when
    /// there is none that fits.
    /// </summary>
    internal (long Step, List<StepRecord> Records, Tensor Order)? TryLoad(string fingerprint, Module model, FlatAdamW optimizer, Generator generator)
    {
        if (Latest() is not { } folder || Intact(folder) is not { } trainer || trainer.Fingerprint != fingerprint) return null;
        Tensor order;
        string file = StateFile;
        try
        {
            using var scope = NewDisposeScope();
            var tensors = IO.Safetensors.Load(Path.Combine(folder, StateFile));
            var state = tensors.Where(kv => kv.Key.StartsWith("model.")).ToDictionary(kv => kv.Key["model.".Length..], kv => kv.Value);
            IO.Weights.Copy(model, state, strict: true, from: $"the checkpoint {folder}");
            file = OptimizerFile;
            using (var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, OptimizerFile))))
                optimizer.Load(reader);
            file = StateFile;
            generator.set_state(tensors["trainer.generator"]);
            set_rng_state(tensors["trainer.rng"]);
            order = tensors["trainer.order"].MoveToOuterDisposeScope();
        }
        catch (Exception e) when (e is IOException or ArgumentException or KeyNotFoundException or InvalidDataException)
        {
            // intact files that still do not restore (written by another version): the model is half-restored, so
            // this training cannot go on; set the checkpoint aside so that the next run starts from step 0
            MoveAside(folder, $"{file} passes its checksum but cannot be restored: {e.Message}", "the next run trains from step 0");
            throw new InvalidDataException($"The checkpoint {Path.Combine(folder, file)} cannot be restored ({e.Message}); it was moved aside: run again to train from step 0.", e);
        }
        return (trainer.Step, trainer.Records, order);
    }

    // a checkpoint with trainer.json but no checksums.json is one of an older layout: found here, then refused by Intact
    string? Latest() => Directory.Exists(Folder)
        ? Directory.GetDirectories(Folder, "step-*")
            .Where(d => File.Exists(Path.Combine(d, ChecksumsFile)) || File.Exists(Path.Combine(d, TrainerFile)))
            .Order(StringComparer.Ordinal).LastOrDefault()
        : null;

    /// <summary>
    /// The trainer state of a checkpoint that passes its checksums; else the whole folder is moved aside, the
    /// log names the file that failed, and null (start from step 0).
    /// </summary>
    TrainerState? Intact(string checkpoint)
    {
        try
        {
            RunStore.Verify(checkpoint);
            return ReadTrainer(checkpoint) ?? throw new InvalidDataException($"{TrainerFile} cannot be read");
        }
        catch (InvalidDataException e)
        {
            MoveAside(checkpoint, e.Message, "training from step 0");
            return null;
        }
    }

    /// <summary>Renames the whole folder to <c>{Folder}.corrupt-{time}</c> (kept for a look) and says which file of <paramref name="checkpoint"/> failed.</summary>
    void MoveAside(string checkpoint, string reason, string next)
    {
        var aside = $"{Folder}.corrupt-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        if (Directory.Exists(aside)) aside += $"-{Guid.NewGuid():N}"[..9];
        try { Directory.Move(Folder, aside); }
        catch (Exception move) when (move is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The checkpoint {checkpoint} is damaged ({reason}) and cannot be moved aside ({move.Message}); remove {Folder} to start over.", move);
        }
        (Log ?? Console.WriteLine)($"checkpoint: {Path.Combine(checkpoint, FileNamed(reason))} is damaged ({reason}); moved {Folder} to {aside} and {next}.");
    }

    /// <summary>The file a verification message starts with ("optimizer.bin does not match ..."), else the checksums file.</summary>
    static string FileNamed(string message) =>
        new[] { StateFile, OptimizerFile, TrainerFile }.FirstOrDefault(message.StartsWith) ?? ChecksumsFile;

    static void WriteChecksums(string folder)
    {
        var checksums = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')))
            checksums[Path.GetFileName(file)] = RunStore.Sha256(file);
        AtomicFile.WriteJson(Path.Combine(folder, ChecksumsFile), checksums);
    }

    internal sealed record FinishedState(string? Identity, double Seconds, List<StepRecord> Records);

    /// <summary>
    /// Keeps a finished training's weights and records (<c>finished/</c>, checksummed) until the job that needed
    /// them is done and calls <see cref="Clear"/>; the step checkpoints are then no longer needed and removed.
    /// </summary>
    internal void SaveFinished(Module model, IReadOnlyList<StepRecord> records, double seconds)
    {
        Directory.CreateDirectory(Folder);
        var temp = Path.Combine(Folder, $".{FinishedFolder}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(temp);
        try
        {
            using (var scope = NewDisposeScope())
                IO.Safetensors.Save(Path.Combine(temp, StateFile), model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu()));
            AtomicFile.WriteJson(Path.Combine(temp, TrainerFile), new FinishedState(Identity, seconds, records.ToList()));
            WriteChecksums(temp);
            var final = Path.Combine(Folder, FinishedFolder);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
            foreach (var old in Directory.GetDirectories(Folder, "step-*")) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Loads the finished training of this identity into <paramref name="model"/> after verifying it; null when
    /// there is none (or it is of another identity, or damaged: then moved aside and said so).
    /// </summary>
    internal (List<StepRecord> Records, double Seconds)? TryLoadFinished(Module model)
    {
        var folder = Path.Combine(Folder, FinishedFolder);
        if (!File.Exists(Path.Combine(folder, ChecksumsFile)) && !File.Exists(Path.Combine(folder, TrainerFile))) return null;
        FinishedState? state = null;
        try
        {
            RunStore.Verify(folder);
            try { state = JsonSerializer.Deserialize<FinishedState>(File.ReadAllText(Path.Combine(folder, TrainerFile)), RunJson.Options); }
            catch (JsonException e) { throw new InvalidDataException($"{TrainerFile} cannot be read ({e.Message})", e); }
            if (state is null || state.Identity != Identity) return null;
            using var scope = NewDisposeScope();
            IO.Weights.Copy(model, IO.Safetensors.Load(Path.Combine(folder, StateFile)), strict: true, from: $"the finished training in {folder}");
            return (state.Records, state.Seconds);
        }
        catch (InvalidDataException e)
        {
            MoveAside(folder, e.Message, "pretraining again");
            return null;
        }
    }

    static TrainerState? ReadTrainer(string folder)
    {
        try { return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, TrainerFile)), RunJson.Options); }
        catch (Exception e) when (e is JsonException or IOException) { return null; }
    }
}
