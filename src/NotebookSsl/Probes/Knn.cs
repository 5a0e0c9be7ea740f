using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>
/// DINO's weighted k-NN classifier (eval_knn.py): cosine similarity of L2-normalised frozen features,
/// the k nearest training images vote with weight exp(similarity / T).
/// </summary>
public static class Knn
{
    public static ProbeResult Run(VisionTransformer encoder, Tensor trainImages, Tensor trainLabels, Tensor testImages, Tensor testLabels,
        int numClasses, int k = 20, double temperature = 0.07, FeatureKind feature = FeatureKind.Cls)
    {
        ProbeLabels.Check(trainLabels, trainImages.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, testImages.shape[0], numClasses, nameof(testLabels));
        using var scope = NewDisposeScope();
        return OnFeatures(Features.Extract(encoder, trainImages, feature), trainLabels, Features.Extract(encoder, testImages, feature), testLabels,
            numClasses, k, temperature);
    }

    /// <summary>The classifier on raw features already extracted ([N, D] and [M, D]); it L2-normalises them.</summary>
    public static ProbeResult OnFeatures(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        int numClasses, int k = 20, double temperature = 0.07)
    {
        using var scope = NewDisposeScope();
        var train = nn.functional.normalize(trainFeatures, dim: 1); // [N, D]
        var test = nn.functional.normalize(testFeatures, dim: 1);   // [M, D]
        return new ProbeResult("k-NN", Classify(train, trainLabels, test, testLabels, numClasses, k, temperature), Array.Empty<Training.StepRecord>());
    }

    /// <summary>Accuracy of the weighted vote for features that are already L2-normalised.</summary>
    public static double Classify(Tensor train, Tensor trainLabels, Tensor test, Tensor testLabels, int numClasses, int k, double temperature)
    {
        if (train.dim() != 2 || test.dim() != 2 || train.shape[1] != test.shape[1])
            throw new ArgumentException($"Train {Shapes.Of(train)} and test {Shapes.Of(test)} features must be [N, D] of the same D.");
        ProbeLabels.Check(trainLabels, train.shape[0], numClasses, nameof(trainLabels));
        ProbeLabels.Check(testLabels, test.shape[0], numClasses, nameof(testLabels));
        if (train.shape[0] == 0) throw new ArgumentException($"The k-NN training set is empty (0 features): it needs at least k = {k} labelled images.", nameof(train));
        if (k < 1 || k > train.shape[0]) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {train.shape[0]}] (the training features).");
        long correct = 0;
        using (no_grad())
        {
            for (long start = 0; start < test.shape[0]; start += 512)
            {
                using var scope = NewDisposeScope();
                long end = Math.Min(start + 512, test.shape[0]);
                var similarity = test.slice(0, start, end, 1).matmul(train.T);                       // [B, N]
                var (top, index) = similarity.topk(k, dim: 1);                           // [B, k]
                var votes = zeros(end - start, numClasses).scatter_add_(1, trainLabels[index], (top / temperature).exp()); // [B, classes]
                correct += votes.argmax(1).eq(testLabels.slice(0, start, end, 1)).sum().item<long>();
            }
        }
        return (double)correct / test.shape[0];
    }
}
