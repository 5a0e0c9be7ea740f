using NotebookSsl.Methods.Supervised;
using NotebookSsl.Models;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Methods.Supervised;

public class SupervisedTests
{
    [Fact]
    public void A_supervised_vit_learns_a_task_a_random_one_cannot_do()
    {
        using var scope = NewDisposeScope();
        // class = which half of the image is bright: learnable from patches, chance is 50 %
        var generator = new Generator(4);
        var labels = randint(0, 2, 256, generator: generator);                          // [N]
        var images = rand(256, 1, 8, 8, generator: generator) * 0.3f;                     // [N, 1, 8, 8]
        var left = labels.eq(0).view(-1, 1, 1, 1).to(float32);                             // [N, 1, 1, 1]
        images[.., .., .., ..4] += 0.7f * left;
        images[.., .., .., 4..] += 0.7f * (1 - left);
        var config = new VitConfig { ImageSize = 8, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 };

        using var model = SupervisedTraining.Build(config, 2, seed: 1);
        double before = SupervisedTraining.Accuracy(model, images, labels);
        var steps = SupervisedTraining.Steps(model, images, labels, SupervisedTraining.DefaultConfig with { Epochs = 6, BatchSize = 32, Lr = 3e-3, WarmupEpochs = 0.5 }).ToList();
        double after = SupervisedTraining.Accuracy(model, images, labels);
        Assert.Equal(6 * 8, steps.Count);
        Assert.True(steps[^1].Loss < steps[0].Loss, $"loss {steps[0].Loss} -> {steps[^1].Loss}");
        Assert.True(after > 0.9 && after > before, $"accuracy {before:P0} -> {after:P0}");
        Assert.Throws<ArgumentException>(() => SupervisedTraining.Steps(model, zeros(4, 3, 8, 8), labels[..4], SupervisedTraining.DefaultConfig).ToList());
    }
}
