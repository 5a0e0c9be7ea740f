using NotebookSsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Data;

public class ViewAugmentationTests
{
    [Fact]
    public void Mae_views_are_crops_of_the_source_flipped_as_reported()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var x = rand([6, 3, 20, 20], generator: g);
        using var views = ViewAugmentation.Mae(10).Apply(x, seed: 1);
        Assert.Equal([6, 3, 10, 10], views.Images.shape);
        var unflipped = Augment.ResizedCrop(x, views.Boxes, 10);                       // [6, 3, 10, 10]
        for (var i = 0; i < 6; i++)
        {
            var expected = views.Flipped[i] ? unflipped[i].flip(2) : unflipped[i];
            Assert.True(views.Images[i].allclose(expected, atol: 1e-6), $"sample {i}");
        }
    }

    [Fact]
    public void SimClr_views_repeat_for_a_seed_and_change_colours()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var x = rand([8, 3, 32, 32], generator: g);
        var recipe = ViewAugmentation.SimClr(16);
        using var a = recipe.Apply(x, seed: 2);
        using var b = recipe.Apply(x, seed: 2);
        using var c = recipe.Apply(x, seed: 3);
        Assert.True(a.Images.Same(b.Images));
        Assert.Equal(a.Boxes, b.Boxes);
        Assert.False(a.Images.Same(c.Images));
        var geometryOnly = Augment.ResizedCrop(x, a.Boxes, 16);
        Assert.False(a.Images.allclose(geometryOnly, atol: 1e-3) || a.Images.allclose(geometryOnly.flip(3), atol: 1e-3));
    }

    [Fact]
    public void Region_in_view_maps_boxes_and_mirrors_flips()
    {
        var view = new CropBox(10, 20, 40, 80);
        Assert.Equal(new ViewRegion(0, 0, 16, 16), Augment.RegionInView(view, view, 16, flipped: false));
        var region = new CropBox(20, 20, 10, 20);                  // top quarter-ish, left quarter
        Assert.Equal(new ViewRegion(4, 0, 4, 4), Augment.RegionInView(view, region, 16, flipped: false));
        Assert.Equal(new ViewRegion(4, 12, 4, 4), Augment.RegionInView(view, region, 16, flipped: true));
    }
}
