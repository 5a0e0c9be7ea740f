using StbImageWriteSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Notebooks.Display;

/// <summary>Image tensors ([C,H,W] or [N,C,H,W] floats, C = 1 or 3) to PNG; a batch becomes a grid.</summary>
public static class ImageTensors
{
    const int MaxImages = 256;

    /// <summary>True when the tensor looks like images: float, [C,H,W] or [N,C,H,W], C in {1,3}, H,W ≥ 8, values in [0,1].</summary>
    public static bool LooksLikeImage(Tensor t)
    {
        if (!IsShapeOk(t)) return false;
        using var scope = NewDisposeScope();
        var min = t.min().to_type(ScalarType.Float32).item<float>();
        var max = t.max().to_type(ScalarType.Float32).item<float>();
        return min >= 0f && max <= 1f;
    }

    static bool IsShapeOk(Tensor t)
    {
        if (!t.is_floating_point() || t.numel() == 0) return false;
        var s = t.shape;
        return s.Length switch
        {
            3 => s[0] is 1 or 3 && s[1] >= 8 && s[2] >= 8,
            4 => s[1] is 1 or 3 && s[2] >= 8 && s[3] >= 8 && s[0] <= MaxImages,
            _ => false,
        };
    }

    public static PngImage ToPng(Tensor tensor, bool normalize = false)
    {
        var s = tensor.shape;
        if (!(s.Length == 3 && s[0] is 1 or 3) && !(s.Length == 4 && s[1] is 1 or 3))
            throw new ArgumentException($"an image tensor must be [C,H,W] or [N,C,H,W] with C = 1 or 3; got [{string.Join(", ", s)}]");
        using var scope = NewDisposeScope();
        var x = tensor.detach().to(CPU).to_type(ScalarType.Float32);
        if (x.dim() == 3) x = x.unsqueeze(0);                               // [N, C, H, W]
        if (x.shape[0] > MaxImages) x = x.narrow(0, 0, MaxImages);
        if (normalize)
        {
            var lo = x.min(); var hi = x.max();
            x = (x - lo) / (hi - lo).clamp_min(1e-12);
        }
        x = x.nan_to_num(0).clamp(0, 1);
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        int cols = (int)Math.Min(n, 8), rows = (int)((n + cols - 1) / cols);
        int scale = (int)Math.Clamp(112 / Math.Max(h, w), 1, 8);
        const int pad = 2;
        int cellW = (int)w * scale, cellH = (int)h * scale;
        int width = cols * cellW + (cols + 1) * pad, height = rows * cellH + (rows + 1) * pad;
        var pixels = (x * 255f).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous(); // [N, H, W, C]
        var src = pixels.data<byte>().ToArray();
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        for (int i = 0; i < n; i++)
        {
            int ox = pad + (i % cols) * (cellW + pad), oy = pad + (i / cols) * (cellH + pad);
            for (int yy = 0; yy < cellH; yy++)
            for (int xx = 0; xx < cellW; xx++)
            {
                long sy = yy / scale, sx = xx / scale;
                long at = ((i * h + sy) * w + sx) * c;
                int dst = ((oy + yy) * width + ox + xx) * 3;
                for (int k = 0; k < 3; k++) rgb[dst + k] = src[at + (c == 3 ? k : 0)];
            }
        }
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(rgb, width, height, ColorComponents.RedGreenBlue, ms);
        return new PngImage(ms.ToArray(), width, height);
    }
}
