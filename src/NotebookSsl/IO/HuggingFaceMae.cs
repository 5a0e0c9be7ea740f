using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace NotebookSsl.IO;

/// <summary>
/// Parameter names of the Hugging Face <c>facebook/vit-mae-base</c> checkpoint (<c>ViTMAEForPreTraining</c>,
/// transformers' modeling_vit_mae.py) mapped to the official MAE names (facebookresearch/mae models_mae.py), the
/// inverse of transformers' convert_vit_mae_to_pytorch.py. A pure name mapping: shapes are the same on both sides,
/// except that each block's separate query/key/value projections become one <c>attn.qkv</c> (rows q, then k, then v).
/// <list type="table">
/// <item><term>vit.embeddings.cls_token</term><description>cls_token</description></item>
/// <item><term>vit.embeddings.position_embeddings</term><description>pos_embed</description></item>
/// <item><term>vit.embeddings.patch_embeddings.projection.*</term><description>patch_embed.proj.*</description></item>
/// <item><term>vit.encoder.layer.{i}.attention.attention.{query,key,value}.*</term><description>blocks.{i}.attn.qkv.* (concatenated)</description></item>
/// <item><term>vit.encoder.layer.{i}.attention.output.dense.*</term><description>blocks.{i}.attn.proj.*</description></item>
/// <item><term>vit.encoder.layer.{i}.layernorm_before / layernorm_after.*</term><description>blocks.{i}.norm1 / norm2.*</description></item>
/// <item><term>vit.encoder.layer.{i}.intermediate.dense / output.dense.*</term><description>blocks.{i}.mlp.fc1 / mlp.fc2.*</description></item>
/// <item><term>vit.layernorm.*</term><description>norm.*</description></item>
/// <item><term>decoder.decoder_embed.*, decoder.mask_token, decoder.decoder_pos_embed</term><description>decoder_embed.*, mask_token, decoder_pos_embed</description></item>
/// <item><term>decoder.decoder_layers.{i}.(as the encoder layers)</term><description>decoder_blocks.{i}.(as blocks)</description></item>
/// <item><term>decoder.decoder_norm.*, decoder.decoder_pred.*</term><description>decoder_norm.*, decoder_pred.*</description></item>
/// </list>
/// Encoder names without the <c>vit.</c> prefix (a checkpoint saved from <c>ViTMAEModel</c>) are accepted too.
/// </summary>
public static partial class HuggingFaceMae
{
    static readonly Dictionary<string, string> Fixed = new()
    {
        ["vit.embeddings.cls_token"] = "cls_token",
        ["vit.embeddings.position_embeddings"] = "pos_embed",
        ["vit.embeddings.patch_embeddings.projection.weight"] = "patch_embed.proj.weight",
        ["vit.embeddings.patch_embeddings.projection.bias"] = "patch_embed.proj.bias",
        ["vit.layernorm.weight"] = "norm.weight",
        ["vit.layernorm.bias"] = "norm.bias",
        ["decoder.decoder_embed.weight"] = "decoder_embed.weight",
        ["decoder.decoder_embed.bias"] = "decoder_embed.bias",
        ["decoder.mask_token"] = "mask_token",
        ["decoder.decoder_pos_embed"] = "decoder_pos_embed",
        ["decoder.decoder_norm.weight"] = "decoder_norm.weight",
        ["decoder.decoder_norm.bias"] = "decoder_norm.bias",
        ["decoder.decoder_pred.weight"] = "decoder_pred.weight",
        ["decoder.decoder_pred.bias"] = "decoder_pred.bias",
    };

    static readonly Dictionary<string, string> BlockParts = new()
    {
        ["attention.output.dense"] = "attn.proj",
        ["layernorm_before"] = "norm1",
        ["layernorm_after"] = "norm2",
        ["intermediate.dense"] = "mlp.fc1",
        ["output.dense"] = "mlp.fc2",
    };

    static readonly string[] QkvOrder = ["query", "key", "value"];

    [GeneratedRegex(@"^(vit\.encoder\.layer|decoder\.decoder_layers)\.(\d+)\.(.+)\.(weight|bias)$")]
    private static partial Regex BlockName();

    /// <summary>
    /// Renames a Hugging Face ViTMAE state dict to official MAE names. Renamed entries are the same tensor objects as
    /// in <paramref name="hf"/> (no copy); each <c>attn.qkv</c> weight/bias is a new tensor, <c>cat([q, k, v], 0)</c>.
    /// Throws <see cref="ArgumentException"/> naming every unknown parameter, every incomplete q/k/v triple, and
    /// q/k/v parts whose shapes differ.
    /// </summary>
    public static Dictionary<string, Tensor> ToOfficialNames(IReadOnlyDictionary<string, Tensor> hf)
    {
        ArgumentNullException.ThrowIfNull(hf);
        var result = new Dictionary<string, Tensor>();
        var qkv = new Dictionary<string, Tensor?[]>(); // official qkv name -> [q, k, v]
        var unknown = new List<string>();
        var problems = new List<string>();

        foreach (var (rawName, value) in hf)
        {
            var name = WithVitPrefix(rawName);
            if (Fixed.TryGetValue(name, out var official))
            {
                Add(official, rawName, value);
                continue;
            }
            var m = BlockName().Match(name);
            if (!m.Success) { unknown.Add(rawName); continue; }
            var prefix = (m.Groups[1].Value == "vit.encoder.layer" ? "blocks." : "decoder_blocks.") + m.Groups[2].Value + ".";
            string part = m.Groups[3].Value, kind = m.Groups[4].Value;
            if (BlockParts.TryGetValue(part, out var officialPart))
            {
                Add(prefix + officialPart + "." + kind, rawName, value);
            }
            else if (part.StartsWith("attention.attention.", StringComparison.Ordinal)
                     && Array.IndexOf(QkvOrder, part["attention.attention.".Length..]) is var slot and >= 0)
            {
                var target = prefix + "attn.qkv." + kind;
                if (!qkv.TryGetValue(target, out var parts)) qkv[target] = parts = new Tensor?[3];
                if (parts[slot] is not null) problems.Add($"'{rawName}' appears twice");
                parts[slot] = value;
            }
            else
            {
                unknown.Add(rawName);
            }
        }

        if (unknown.Count > 0)
            throw new ArgumentException(
                $"unknown Hugging Face ViTMAE parameter name(s): {string.Join(", ", unknown.Select(n => $"'{n}'"))}.", nameof(hf));

        foreach (var (target, parts) in qkv)
        {
            var missing = Enumerable.Range(0, 3).Where(i => parts[i] is null).Select(i => QkvOrder[i]).ToArray();
            if (missing.Length > 0) { problems.Add($"{target} lacks {string.Join(", ", missing)}"); continue; }
            var shapes = parts.Select(p => $"[{string.Join(", ", p!.shape)}]").ToArray();
            if (shapes.Distinct().Count() != 1 || parts[0]!.dim() is < 1 or > 2)
            {
                problems.Add($"{target}: query/key/value shapes {string.Join(", ", shapes)} cannot be stacked");
                continue;
            }
            Add(target, target, cat(parts.Select(p => p!).ToArray(), 0)); // [3D, Din] or [3D]
        }
        if (problems.Count > 0)
            throw new ArgumentException($"Hugging Face ViTMAE state dict: {string.Join("; ", problems)}.", nameof(hf));
        return result;

        void Add(string official, string source, Tensor value)
        {
            if (!result.TryAdd(official, value))
                problems.Add($"'{source}' maps to '{official}', which another parameter already filled");
        }
    }

    /// <summary>Encoder names from a bare ViTMAEModel checkpoint lack the "vit." prefix; add it.</summary>
    static string WithVitPrefix(string name)
        => name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("encoder.", StringComparison.Ordinal)
           || name.StartsWith("layernorm.", StringComparison.Ordinal)
            ? "vit." + name
            : name;
}
