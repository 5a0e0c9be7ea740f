using static TorchSharp.torch;

namespace NotebookSsl.Data;

public static partial class Augment
{
    /// <summary>
    /// CutMix (Yun et al. 2019) without labels, as a pretraining augmentation: image i gets a box cut from image
    /// i − 1 of the batch (the batch rolled by one, as timm's mixup does for a batch). Per image, λ ~ U(0, 1) (Beta(1, 1),
    /// CutMix's α = 1) and the box has sides √(1 − λ)·H by √(1 − λ)·W around a uniform centre, clipped to the image.
    /// </summary>
    public static Tensor CutMix(Tensor x, Generator generator)
    {
        CheckBatch(x);
        ArgumentNullException.ThrowIfNull(generator);
        long n = x.shape[0], height = x.shape[2], width = x.shape[3];
        if (n < 2) return x.clone();
        float[] u;
        using (var draws = rand([n, 3], generator: generator)) u = draws.data<float>().ToArray(); // [N, (λ, cy, cx)]
        var box = new float[n * height * width];
        for (int i = 0; i < n; i++)
        {
            double cut = Math.Sqrt(1 - u[3 * i]);
            int cy = (int)(u[3 * i + 1] * height), cx = (int)(u[3 * i + 2] * width);
            int hh = (int)(cut * height) / 2, hw = (int)(cut * width) / 2;
            int top = Math.Clamp(cy - hh, 0, (int)height), bottom = Math.Clamp(cy + hh, 0, (int)height);
            int left = Math.Clamp(cx - hw, 0, (int)width), right = Math.Clamp(cx + hw, 0, (int)width);
            for (int r = top; r < bottom; r++)
                for (int c = left; c < right; c++) box[(i * height + r) * width + c] = 1;
        }
        using var scope = NewDisposeScope();
        var inBox = tensor(box, new[] { n, 1, height, width }).to(x.device);       // [N, 1, H, W] 1 inside the box
        var other = x.roll(1, 0);                                                 // [N, C, H, W] image i − 1 at row i
        return (x * (1 - inBox) + other * inBox).MoveToOuterDisposeScope();
    }
}
