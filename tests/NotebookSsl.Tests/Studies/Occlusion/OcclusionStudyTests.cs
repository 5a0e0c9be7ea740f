using NotebookSsl.Runs;
using NotebookSsl.Models;
using NotebookSsl.Studies.Findings;
using NotebookSsl.Studies.Occlusion;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public class OcclusionStudyTests
{
    [Fact]
    public void CkaOfFullVsMaskedIsOneWithoutMaskingAndLowerWithIt()
    {
        Seeds.Set(0);
        using var encoder = new VisionTransformer(new VitConfig { ImageSize = 8, PatchSize = 2, Width = 16, Depth = 2, Heads = 2 });
        var images = rand(24, 1, 8, 8, generator: new Generator(1));
        var cka = OcclusionStudy.CkaCurves(encoder, images, [0.0, 0.9], seed: 3);   // [ratio][block]
        Assert.Equal(2, cka.Length);
        Assert.All(cka[0], v => Assert.Equal(1.0, v, 5));   // ratio 0: the same tokens in another order, mean-pooled
        Assert.All(cka[1], v => Assert.InRange(v, 0.0, 0.999));
        Assert.True(encoder.training);                        // the encoder's mode is restored
    }

    [Fact]
    public void CkaWithMaskTokensIsOneWhenNothingIsMasked()
    {
        Seeds.Set(0);
        using var cmae = new NotebookSsl.Methods.CMae.ContrastiveMae(new NotebookSsl.Methods.CMae.CMaeConfig
        {
            Encoder = new VitConfig { ImageSize = 8, PatchSize = 2, Width = 16, Depth = 2, Heads = 2 }, HiddenDim = 16, Dim = 8,
        });
        var images = rand(24, 1, 8, 8, generator: new Generator(1));
        var cka = OcclusionStudy.CkaCurves(cmae.Encoder, images, [0.0, 0.75], seed: 3, (x, mask) => cmae.Online.EmbedWithMaskTokens(x, mask));
        Assert.All(cka[0], v => Assert.Equal(1.0, v, 5));
        Assert.All(cka[1], v => Assert.InRange(v, 0.0, 0.999));
    }

    [Fact]
    public void ClaimsSerialiseWithTheFindingsSchemaNames()
    {
        var claim = Claim.Pair("03", "R-MAE (Eq. 8, Table 1)", "R-MAE fine-tunes about as well as MAE", "82.7 vs 83.1", "fine-tune accuracy (%)", "a~b",
            new ClaimSide("R-MAE", [1, 2]), new ClaimSide("MAE", [3, 4]), tolerance: 1.0);
        var json = System.Text.Json.JsonSerializer.Serialize(claim, RunJson.Options);
        foreach (var name in new[] { "\"section\"", "\"experiment\"", "\"claim\"", "\"paper\"", "\"metric\"", "\"expect\"", "\"a\"", "\"b\"", "\"series\"", "\"tolerance\"", "\"values\"", "\"name\"" })
            Assert.Contains(name, json);
    }

    [Fact]
    public void EverySizeHasAValidRecipe()
    {
        foreach (var size in Enum.GetValues<RunSize>())
        {
            var recipe = OcclusionRecipe.For(size);
            recipe.Mae.Validate();
            recipe.CMae.Validate();
            recipe.MocoV3.Validate();
            Assert.Equal(recipe.Mae.Encoder, recipe.CMae.Encoder);
            Assert.Equal(recipe.Mae.Encoder, recipe.MocoV3.Encoder);
            Assert.Equal(Trainer.TotalSteps(recipe.TrainImages, recipe.Pretrain), Trainer.TotalSteps(recipe.TrainImages, recipe.Contrastive));
        }
    }
}
