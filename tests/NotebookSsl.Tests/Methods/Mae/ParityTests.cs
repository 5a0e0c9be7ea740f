using System.Text.Json;
using NotebookSsl.IO;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.Mae;

/// <summary>
/// Numerical parity with the official models_mae.py: Fixtures/mae_parity/make_fixture.py ran it (on
/// Debian's PyTorch) with the same weights and noise; our MAE must give the same numbers within 1e-4.
/// </summary>
public class ParityTests
{
    static string Dir(string variant) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "mae_parity", variant);

    static MaeConfig ConfigOf(string dir, string tag = "")
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"config{tag}.json")));
        var c = json.RootElement;
        int I(string name) => c.GetProperty(name).GetInt32();
        return new MaeConfig
        {
            Encoder = new VitConfig
            {
                ImageSize = I("img_size"), PatchSize = I("patch_size"), Channels = I("in_chans"),
                Width = I("embed_dim"), Depth = I("depth"), Heads = I("num_heads"), MlpRatio = c.GetProperty("mlp_ratio").GetDouble(),
            },
            DecoderWidth = I("decoder_embed_dim"), DecoderDepth = I("decoder_depth"), DecoderHeads = I("decoder_num_heads"),
            MaskRatio = c.GetProperty("mask_ratio").GetDouble(),
        };
    }

    static void Close(Tensor expected, Tensor actual, string what, double tolerance = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(diff < tolerance, $"{what}: max |Δ| = {diff:g3}");
    }

    // the l49/l64 variants are where int() truncation differs from rounding (see make_fixture.py):
    // L = 49 keeps 24 at 0.5 and 4 at 0.9, L = 64 keeps 25 at 0.6; 0.75 on L = 49 keeps 12 either way
    [Theory]
    [InlineData("", "", 4)]
    [InlineData("gray28", "", 4)]
    [InlineData("l49", "-r0.5", 24)]
    [InlineData("l49", "-r0.75", 12)]
    [InlineData("l49", "-r0.9", 4)]
    [InlineData("l64", "-r0.6", 25)]
    public void Same_weights_and_noise_give_the_official_loss_predictions_and_maps(string variant, string tag, int keep)
    {
        using var scope = NewDisposeScope();
        var dir = Dir(variant);
        var io = Safetensors.Load(Path.Combine(dir, $"io{tag}.safetensors"));
        Assert.Equal(1 + keep, io["latent"].shape[1]);   // the official code kept cls + `keep` tokens
        foreach (var normPix in new[] { false, true })
        {
            using var mae = new MaskedAutoencoder(ConfigOf(dir, tag) with { NormPixLoss = normPix });
            Weights.Load(mae, Path.Combine(dir, "weights.safetensors"));
            mae.eval();

            var output = mae.Forward(io["imgs"], noise: io["noise"], returnAttention: true);
            Assert.True(output.Mask.eq(io["mask"]).all().item<bool>(), "mask");
            Assert.True(output.IdsRestore.eq(io["ids_restore"]).all().item<bool>(), "ids_restore");
            Close(io["latent"], output.Latent, "latent");
            Close(io[normPix ? "pred_norm_pix" : "pred"], output.Pred, "pred");
            Close(io[normPix ? "loss_norm_pix" : "loss"], output.Loss.reshape(1), "loss");
            Close(io["attn_encoder_block0"], output.EncoderAttention[0], "encoder attention, block 0");
            Close(io["attn_decoder_block0"], output.DecoderAttention[0], "decoder attention, block 0");
        }
    }

    [Fact]
    public void Official_weights_round_trip_exactly()
    {
        using var scope = NewDisposeScope();
        var dir = Dir("");
        using var mae = new MaskedAutoencoder(ConfigOf(dir));
        Weights.Load(mae, Path.Combine(dir, "weights.safetensors"));
        var path = Path.Combine(Path.GetTempPath(), $"nbssl-weights-{Guid.NewGuid():N}.safetensors");
        try
        {
            Weights.Save(mae, path);
            var original = Safetensors.Load(Path.Combine(dir, "weights.safetensors"));
            var saved = Safetensors.Load(path);
            Assert.Equal(original.Keys.OrderBy(k => k), saved.Keys.OrderBy(k => k));
            foreach (var (name, t) in original) Assert.True(t.eq(saved[name]).all().item<bool>(), name);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Weights_of_another_shape_are_refused_by_name()
    {
        using var scope = NewDisposeScope();
        var dir = Dir("");
        using var mae = new MaskedAutoencoder(ConfigOf(dir) with { Encoder = ConfigOf(dir).Encoder with { Width = 64 } });
        var e = Assert.Throws<ArgumentException>(() => Weights.Load(mae, Path.Combine(dir, "weights.safetensors")));
        Assert.Contains("cls_token", e.Message);
    }
}
