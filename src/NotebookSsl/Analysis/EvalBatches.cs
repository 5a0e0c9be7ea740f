using static TorchSharp.torch;

namespace NotebookSsl.Analysis;

/// <summary>The batching every model-level measure shares: eval mode, no gradients, a dispose scope per batch.</summary>
internal static class EvalBatches
{
    /// <summary>Runs <paramref name="body"/> on each batch in eval mode without gradients, in its own dispose scope; the weight is B / N.</summary>
    internal static void ForEach(TorchSharp.torch.nn.Module model, Tensor images, int batchSize, Action<Tensor, double> body)
    {
        long n = images.shape[0];
        if (n == 0) throw new ArgumentException("no image given.", nameof(images));
        InEvalMode(model, () =>
        {
            for (long start = 0; start < n; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long end = Math.Min(start + batchSize, n);
                body(images.slice(0, start, end, 1), (double)(end - start) / n);
            }
            return 0;
        });
    }

    /// <summary>Runs <paramref name="body"/> once in eval mode without gradients, inside a dispose scope (so it must return no tensor); the model's mode is restored after.</summary>
    internal static T Once<T>(TorchSharp.torch.nn.Module model, Func<T> body) => InEvalMode(model, () =>
    {
        using var scope = NewDisposeScope();
        return body();
    });

    /// <summary>Eval mode and no gradients around <paramref name="body"/>; the model's mode is restored after, even on error.</summary>
    static T InEvalMode<T>(TorchSharp.torch.nn.Module model, Func<T> body)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            return body();
        }
        finally { model.train(wasTraining); }
    }

    internal static void Accumulate(double[,] total, double[,] batch, double weight)
    {
        for (int i = 0; i < total.GetLength(0); i++)
            for (int j = 0; j < total.GetLength(1); j++)
                total[i, j] += weight * batch[i, j];
    }

    internal static double[] HeadMean(double[,] perHead) =>
        Enumerable.Range(0, perHead.GetLength(0))
            .Select(l => Enumerable.Range(0, perHead.GetLength(1)).Average(h => perHead[l, h])).ToArray();
}
