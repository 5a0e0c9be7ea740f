using NotebookSsl.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookSsl.IO;

/// <summary>
/// A module's weights as safetensors under its state-dict names (for an MAE, the official names), so
/// files move between NotebookSsl and PyTorch unchanged.
/// </summary>
public static class Weights
{
    /// <summary>Writes the state dict atomically (temp file, then move), with optional string metadata.</summary>
    public static void Save(Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var state = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu());
        Safetensors.Save(path, state, metadata);
    }

    /// <summary>
    /// Copies the file's tensors into the module. Every name must match and every shape agree (or, with
    /// <paramref name="strict"/> false, names missing on either side are skipped); the error names them.
    /// Returns the file's metadata.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Load(Module module, string path, bool strict = true)
    {
        using var scope = NewDisposeScope();
        var loaded = Safetensors.Load(path, out var metadata);
        Copy(module, loaded, strict, path);
        return metadata;
    }

    /// <summary>Copies named tensors into a module's state, checking names and shapes first.</summary>
    public static void Copy(Module module, IReadOnlyDictionary<string, Tensor> source, bool strict = true, string from = "the weights")
    {
        var target = module.state_dict();
        var missing = target.Keys.Except(source.Keys).ToList();
        var unexpected = source.Keys.Except(target.Keys).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException($"{from} do not fit the model: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        var mismatched = target.Keys.Intersect(source.Keys)
            .Where(k => !target[k].shape.SequenceEqual(source[k].shape))
            .Select(k => $"{k}: model {Shapes.Of(target[k])}, file {Shapes.Of(source[k])}").ToList();
        if (mismatched.Count > 0) throw new ArgumentException($"{from} have the wrong shapes: {string.Join("; ", mismatched)}.");
        using var _ = no_grad();
        foreach (var name in target.Keys.Intersect(source.Keys))
            target[name].copy_(source[name].to(target[name].dtype).to(target[name].device));
    }
}
