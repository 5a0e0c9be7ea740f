using NotebookSsl.IO;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.IO;

public class HuggingFaceMaeTests
{
    const int D = 4, Dd = 2;

    /// <summary>A tiny ViTMAEForPreTraining-shaped state dict: 1 encoder layer, 1 decoder layer.</summary>
    static Dictionary<string, Tensor> TinyHf()
    {
        var d = new Dictionary<string, Tensor>
        {
            ["vit.embeddings.cls_token"] = zeros(1, 1, D),
            ["vit.embeddings.position_embeddings"] = zeros(1, 5, D),
            ["vit.embeddings.patch_embeddings.projection.weight"] = zeros(D, 3, 2, 2),
            ["vit.embeddings.patch_embeddings.projection.bias"] = zeros(D),
            ["vit.layernorm.weight"] = ones(D),
            ["vit.layernorm.bias"] = zeros(D),
            ["decoder.decoder_embed.weight"] = zeros(Dd, D),
            ["decoder.decoder_embed.bias"] = zeros(Dd),
            ["decoder.mask_token"] = zeros(1, 1, Dd),
            ["decoder.decoder_pos_embed"] = zeros(1, 5, Dd),
            ["decoder.decoder_norm.weight"] = ones(Dd),
            ["decoder.decoder_norm.bias"] = zeros(Dd),
            ["decoder.decoder_pred.weight"] = zeros(12, Dd),
            ["decoder.decoder_pred.bias"] = zeros(12),
        };
        foreach (var (prefix, dim) in new[] { ("vit.encoder.layer.0", D), ("decoder.decoder_layers.0", Dd) })
        {
            // q, k, v filled with distinct, position-dependent values: q from 0, k from 100, v from 200.
            string[] parts = ["query", "key", "value"];
            for (int p = 0; p < 3; p++)
            {
                d[$"{prefix}.attention.attention.{parts[p]}.weight"] = arange(dim * dim, dtype: float32).reshape(dim, dim) + 100 * p;
                d[$"{prefix}.attention.attention.{parts[p]}.bias"] = arange(dim, dtype: float32) + 100 * p;
            }
            foreach (var part in new[] { "attention.output.dense", "intermediate.dense", "output.dense", "layernorm_before", "layernorm_after" })
            {
                d[$"{prefix}.{part}.weight"] = ones(dim);
                d[$"{prefix}.{part}.bias"] = zeros(dim);
            }
        }
        return d;
    }

    [Fact]
    public void MapsEveryNameToTheOfficialOne()
    {
        using var scope = NewDisposeScope();
        var hf = TinyHf();
        var official = HuggingFaceMae.ToOfficialNames(hf);
        string[] expected =
        [
            "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias", "norm.weight", "norm.bias",
            "decoder_embed.weight", "decoder_embed.bias", "mask_token", "decoder_pos_embed",
            "decoder_norm.weight", "decoder_norm.bias", "decoder_pred.weight", "decoder_pred.bias",
            .. new[] { "blocks.0", "decoder_blocks.0" }.SelectMany(b => new[]
            {
                $"{b}.attn.qkv.weight", $"{b}.attn.qkv.bias", $"{b}.attn.proj.weight", $"{b}.attn.proj.bias",
                $"{b}.norm1.weight", $"{b}.norm1.bias", $"{b}.norm2.weight", $"{b}.norm2.bias",
                $"{b}.mlp.fc1.weight", $"{b}.mlp.fc1.bias", $"{b}.mlp.fc2.weight", $"{b}.mlp.fc2.bias",
            }),
        ];
        Assert.Equal(expected.Order(), official.Keys.Order());
        Assert.Same(hf["vit.embeddings.position_embeddings"], official["pos_embed"]);
        Assert.Same(hf["vit.encoder.layer.0.output.dense.weight"], official["blocks.0.mlp.fc2.weight"]);
        Assert.Same(hf["vit.encoder.layer.0.intermediate.dense.weight"], official["blocks.0.mlp.fc1.weight"]);
        Assert.Same(hf["decoder.decoder_layers.0.layernorm_after.bias"], official["decoder_blocks.0.norm2.bias"]);
    }

    [Fact]
    public void QkvIsQueryThenKeyThenValue()
    {
        using var scope = NewDisposeScope();
        var hf = TinyHf();
        var official = HuggingFaceMae.ToOfficialNames(hf);
        var w = official["blocks.0.attn.qkv.weight"]; // [3D, D]
        var b = official["decoder_blocks.0.attn.qkv.bias"]; // [3Dd]
        Assert.Equal(new long[] { 3 * D, D }, w.shape);
        Assert.Equal(new long[] { 3 * Dd }, b.shape);
        string[] parts = ["query", "key", "value"];
        for (int p = 0; p < 3; p++)
        {
            Assert.True(w.narrow(0, p * D, D).allclose(hf[$"vit.encoder.layer.0.attention.attention.{parts[p]}.weight"], 0, 0));
            Assert.True(b.narrow(0, p * Dd, Dd).allclose(hf[$"decoder.decoder_layers.0.attention.attention.{parts[p]}.bias"], 0, 0));
        }
        Assert.Equal(100f, w[D, 0].item<float>());     // first row of k
        Assert.Equal(200f, b[2 * Dd].item<float>());  // first entry of v
    }

    [Fact]
    public void NamesWithoutVitPrefixAreAccepted()
    {
        using var scope = NewDisposeScope();
        var hf = TinyHf()
            .Where(kv => kv.Key.StartsWith("vit.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["vit.".Length..], kv => kv.Value);
        var official = HuggingFaceMae.ToOfficialNames(hf);
        Assert.Contains("blocks.0.attn.qkv.weight", official.Keys);
        Assert.Contains("cls_token", official.Keys);
        Assert.DoesNotContain("mask_token", official.Keys);
    }

    [Fact]
    public void UnknownNamesAreNamedInTheError()
    {
        using var scope = NewDisposeScope();
        var hf = TinyHf();
        hf["vit.pooler.dense.weight"] = zeros(D, D);
        hf["vit.encoder.layer.0.attention.attention.gate.weight"] = zeros(D, D);
        var e = Assert.Throws<ArgumentException>(() => HuggingFaceMae.ToOfficialNames(hf));
        Assert.Contains("'vit.pooler.dense.weight'", e.Message);
        Assert.Contains("'vit.encoder.layer.0.attention.attention.gate.weight'", e.Message);
    }

    [Fact]
    public void IncompleteOrMismatchedQkvIsRejected()
    {
        using var scope = NewDisposeScope();
        var missing = TinyHf();
        missing.Remove("vit.encoder.layer.0.attention.attention.value.bias");
        var e1 = Assert.Throws<ArgumentException>(() => HuggingFaceMae.ToOfficialNames(missing));
        Assert.Contains("blocks.0.attn.qkv.bias lacks value", e1.Message);

        var mismatched = TinyHf();
        mismatched["vit.encoder.layer.0.attention.attention.key.weight"] = zeros(D, D + 1);
        var e2 = Assert.Throws<ArgumentException>(() => HuggingFaceMae.ToOfficialNames(mismatched));
        Assert.Contains("blocks.0.attn.qkv.weight", e2.Message);
    }
}
