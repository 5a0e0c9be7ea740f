using NotebookSsl.Models;
using static TorchSharp.torch;

namespace NotebookSsl.Probes;

/// <summary>Which encoder output a frozen-feature probe reads.</summary>
public enum FeatureKind
{
    /// <summary>The cls token after the final norm (MAE's linear probe).</summary>
    Cls,
    /// <summary>The mean of the patch tokens after the final norm.</summary>
    MeanPatch,
}

/// <summary>Frozen features of a whole image set, computed in batches without gradients.</summary>
public static class Features
{
    /// <summary>[N, D] features of <paramref name="images"/> [N, C, H, W].</summary>
    public static Tensor Extract(VisionTransformer encoder, Tensor images, FeatureKind kind = FeatureKind.Cls, int batchSize = 256) =>
        OfLatents(encoder, images, latent => kind == FeatureKind.Cls ? latent[.., 0] : latent[.., 1..].mean(new long[] { 1 }), batchSize); // [N, D]

    /// <summary>
    /// <paramref name="pick"/> applied to the frozen encoder's output [B, 1+L, D] (after the final norm), batch by
    /// batch without gradients, concatenated over the images; the encoder's train/eval mode is restored.
    /// </summary>
    internal static Tensor OfLatents(VisionTransformer encoder, Tensor images, Func<Tensor, Tensor> pick, int batchSize = 256)
    {
        Shapes.Image(images, encoder.Config);
        var parts = new List<Tensor>();
        Analysis.EvalBatches.ForEach(encoder, images, batchSize,
            (batch, _) => parts.Add(pick(encoder.forward(batch)).MoveToOuterDisposeScope()));   // [B, 1+L, D] → picked
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Top-1 accuracy of <paramref name="predict"/> on a labelled set, in batches without gradients.</summary>
    public static double Accuracy(Func<Tensor, Tensor> predict, Tensor inputs, Tensor labels, int batchSize = 256)
    {
        long correct = 0, n = inputs.shape[0];
        using (no_grad())
        {
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long end = Math.Min(start + batchSize, n);
                var logits = predict(inputs.slice(0, start, end, 1));                                   // [B, classes]
                correct += logits.argmax(1).eq(labels.slice(0, start, end, 1)).sum().item<long>();
            }
        }
        return (double)correct / n;
    }
}
