using NotebookSsl.IO;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Tests.Data;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.IO;

public class PretrainedMaeTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 8, PatchSize = 4, Channels = 3, Width = 8, Depth = 2, Heads = 2 },
        DecoderWidth = 8, DecoderDepth = 1, DecoderHeads = 2, NormPixLoss = false,
    };

    /// <summary>Official names back to Hugging Face ViTMAEForPreTraining names, qkv split into query/key/value.</summary>
    static Dictionary<string, Tensor> ToHuggingFace(IDictionary<string, Tensor> official)
    {
        var parts = new Dictionary<string, string>
        {
            ["attn.proj"] = "attention.output.dense", ["norm1"] = "layernorm_before", ["norm2"] = "layernorm_after",
            ["mlp.fc1"] = "intermediate.dense", ["mlp.fc2"] = "output.dense",
        };
        var fixedNames = new Dictionary<string, string>
        {
            ["cls_token"] = "vit.embeddings.cls_token", ["pos_embed"] = "vit.embeddings.position_embeddings",
            ["patch_embed.proj.weight"] = "vit.embeddings.patch_embeddings.projection.weight",
            ["patch_embed.proj.bias"] = "vit.embeddings.patch_embeddings.projection.bias",
            ["norm.weight"] = "vit.layernorm.weight", ["norm.bias"] = "vit.layernorm.bias",
            ["mask_token"] = "decoder.mask_token", ["decoder_pos_embed"] = "decoder.decoder_pos_embed",
        };
        var hf = new Dictionary<string, Tensor>();
        foreach (var (name, t) in official)
        {
            var value = t.detach().clone();
            if (fixedNames.TryGetValue(name, out var f)) { hf[f] = value; continue; }
            if (name.StartsWith("decoder_embed") || name.StartsWith("decoder_norm") || name.StartsWith("decoder_pred")) { hf["decoder." + name] = value; continue; }
            var pieces = name.Split('.');                                   // blocks.0.attn.qkv.weight
            var prefix = pieces[0] == "blocks" ? $"vit.encoder.layer.{pieces[1]}" : $"decoder.decoder_layers.{pieces[1]}";
            var part = string.Join('.', pieces[2..^1]);
            var kind = pieces[^1];
            if (part == "attn.qkv")
            {
                var chunks = value.chunk(3, 0);
                hf[$"{prefix}.attention.attention.query.{kind}"] = chunks[0];
                hf[$"{prefix}.attention.attention.key.{kind}"] = chunks[1];
                hf[$"{prefix}.attention.attention.value.{kind}"] = chunks[2];
            }
            else hf[$"{prefix}.{parts[part]}.{kind}"] = value;
        }
        return hf;
    }

    [Fact]
    public void A_hugging_face_file_loads_into_an_mae_with_every_weight_in_place()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var source = Seeds.Build(21, () => new MaskedAutoencoder(Tiny));
        using (no_grad()) foreach (var p in source.parameters()) p.add_(randn_like(p));   // nothing left at its initial value
        var hf = ToHuggingFace(source.state_dict());
        Assert.Contains("vit.encoder.layer.1.attention.attention.value.bias", hf.Keys);
        var path = dir["model.safetensors"];
        Safetensors.Save(path, hf);

        using var loaded = PretrainedMae.LoadHuggingFace(path, Tiny);
        var expected = source.state_dict();
        foreach (var (name, tensor) in loaded.state_dict())
            Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{name} differs");

        var images = rand(2, 3, 8, 8, generator: new Generator(1));
        var noise = rand(2, 4, generator: new Generator(2));
        using (no_grad())
            Assert.True(loaded.Forward(images, noise).Pred.allclose(source.Forward(images, noise).Pred, rtol: 0, atol: 0));
    }

    [Fact]
    public void A_file_for_another_shape_or_no_file_is_a_clear_error()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var source = Seeds.Build(0, () => new MaskedAutoencoder(Tiny));
        var path = dir["model.safetensors"];
        Safetensors.Save(path, ToHuggingFace(source.state_dict()));
        var e = Assert.Throws<ArgumentException>(() => PretrainedMae.LoadHuggingFace(path, Tiny with { Encoder = Tiny.Encoder with { Depth = 1 } }));
        Assert.Contains("blocks.1", e.Message);
        Assert.Throws<FileNotFoundException>(() => PretrainedMae.LoadHuggingFace(dir["absent.safetensors"], Tiny));
        Assert.Equal(768, PretrainedMae.VitBase.Encoder.Width);
        Assert.Equal(196, PretrainedMae.VitBase.Encoder.NumPatches);
    }

    [Fact]
    public void Normalize_uses_the_imagenet_statistics()
    {
        using var scope = NewDisposeScope();
        var normalized = PretrainedMae.Normalize(full(1, 3, 2, 2, 0.485f));
        Assert.Equal(0.0, normalized[0, 0, 0, 0].item<float>(), 6);
        Assert.Equal((0.485 - 0.456) / 0.224, normalized[0, 1, 1, 1].item<float>(), 5);
        Assert.Throws<ArgumentException>(() => PretrainedMae.Normalize(zeros(1, 1, 2, 2)));
    }
}
