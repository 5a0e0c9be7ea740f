using NotebookSsl.Analysis;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Analysis;

public class DecoderAnalysisTests
{
    static readonly MaeConfig Tiny = new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 2, Heads = 2 },
        DecoderWidth = 16, DecoderDepth = 2, DecoderHeads = 2,
    };

    static MaskedAutoencoder Build(MaeConfig config) => Seeds.Build(5, () => new MaskedAutoencoder(config));

    [Fact]
    public void The_fixed_mask_is_one_mask_for_all_images()
    {
        using var scope = NewDisposeScope();
        var noise = DecoderAnalysis.FixedMaskNoise(Tiny, 3, seed: 7);      // [3, 16]
        Assert.True(noise[0].eq(noise[2]).all().item<bool>());
        var ids = DecoderAnalysis.FixedMaskIds(Tiny, 7);
        Assert.Equal(12, ids.Length);                                        // 75 % of 16
        Assert.Equal(ids.OrderBy(i => i), ids);
        Assert.NotEqual(ids, DecoderAnalysis.FixedMaskIds(Tiny, 8));
    }

    [Fact]
    public void Similarity_is_one_for_identical_images_and_lower_for_different_ones()
    {
        using var scope = NewDisposeScope();
        using var mae = Build(Tiny);
        var one = rand(1, 1, 16, 16, generator: new Generator(1));
        var same = DecoderAnalysis.Similarity(mae, one.expand(4, -1, -1, -1).contiguous(), batchSize: 3);
        Assert.Equal(2, same.Length);
        Assert.All(same, s => Assert.Equal(1.0, s, 6));
        var different = DecoderAnalysis.Similarity(mae, rand(6, 1, 16, 16, generator: new Generator(2)), batchSize: 4);
        Assert.All(different, s => Assert.InRange(s, 0.0, 1.0 - 1e-6));
        Assert.Throws<ArgumentException>(() => DecoderAnalysis.Similarity(Build(Tiny with { Decoder = DecoderKind.Conv }), one.expand(2, -1, -1, -1)));
    }

    [Fact]
    public void Mask_token_maps_are_distributions_of_masked_tokens()
    {
        using var scope = NewDisposeScope();
        using var mae = Build(Tiny);
        var images = rand(2, 1, 16, 16, generator: new Generator(3));
        var maps = DecoderAnalysis.MaskTokenMaps(mae, images, maskSeed: 4, tokens: 3);
        Assert.Equal(2 * 3 * 2, maps.Count);                                // images x tokens x (first, last layer)
        var masked = DecoderAnalysis.FixedMaskIds(Tiny, 4);
        foreach (var m in maps)
        {
            Assert.Contains(m.Token, masked);
            Assert.Equal(4, m.Map.GetLength(0));
            Assert.Equal(1.0, m.Map.Cast<double>().Sum() + m.ClsWeight, 5);
        }
        Assert.Equal(new[] { 0, 1 }, maps.Select(m => m.Layer).Distinct().OrderBy(l => l));
        var visible = Enumerable.Range(0, 16).Select(i => (long)i).Except(masked).First();
        Assert.Throws<ArgumentException>(() => DecoderAnalysis.MaskTokenMaps(mae, images, maskSeed: 4, tokenIds: [visible]));
    }

    [Fact]
    public void Relative_maps_sum_to_one_and_the_whole_canvas_holds_all_mass()
    {
        using var scope = NewDisposeScope();
        using var mae = Build(Tiny);
        var images = rand(5, 1, 16, 16, generator: new Generator(6));
        var maps = DecoderAnalysis.RelativeMaps(mae, images, window: 3, batchSize: 2);
        Assert.Equal(2, maps.Count);
        foreach (var m in maps)
        {
            Assert.Equal(7, m.Map.GetLength(0));                             // 2g - 1
            Assert.Equal(1.0, m.Map.Cast<double>().Sum(), 6);
            Assert.InRange(m.WindowMass, 0, 1);
            Assert.InRange(m.UniformWindowMass, 0.05, 0.95);
        }
        var whole = DecoderAnalysis.RelativeMaps(mae, images, window: 7);
        Assert.All(whole, m => { Assert.Equal(1.0, m.WindowMass, 9); Assert.Equal(1.0, m.UniformWindowMass, 9); });
    }

    [Fact]
    public void Encoder_distance_in_batches_equals_one_pass_and_masked_distance_runs()
    {
        using var scope = NewDisposeScope();
        using var mae = Build(Tiny);
        var images = rand(5, 1, 16, 16, generator: new Generator(8));
        var batched = AttentionDistance.OfEncoder(mae.Encoder, images, batchSize: 2);
        mae.eval();
        double[,] whole;
        using (no_grad()) whole = AttentionDistance.PerLayer(mae.Encoder.ForwardFeatures(images, returnAttention: true).Attention, 4, 4);
        Assert.Equal(2, batched.Length);
        for (int l = 0; l < 2; l++) Assert.Equal((whole[l, 0] + whole[l, 1]) / 2, batched[l], 9);
        var masked = AttentionDistance.OfMaskedEncoder(mae, images);
        Assert.All(masked, d => Assert.InRange(d, 0, 4 * Math.Sqrt(18)));
    }

    [Fact]
    public void Psnr_and_decoder_parameters()
    {
        using var scope = NewDisposeScope();
        using var mae = Build(Tiny with { Decoder = DecoderKind.WeightedAverage });
        var psnr = Psnr.OfReconstruction(mae, rand(4, 1, 16, 16, generator: new Generator(9)));
        Assert.True(double.IsFinite(psnr) && psnr > 0, $"PSNR {psnr}");
        // decoder_embed (16x16 + 16), mask_token (16), decoder_pred (16 -> 16 pixels: 16x16 + 16); the Gaussian is fixed
        Assert.Equal(16 * 16 + 16 + 16 + 16 * 16 + 16, mae.DecoderParameterCount);
        using var conv = Build(Tiny with { Decoder = DecoderKind.Conv });
        Assert.Equal(16 * 16 + 16 + 16 + 16 * 16 * 25 + 16, conv.DecoderParameterCount);
    }
}
