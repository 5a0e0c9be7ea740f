namespace NotebookSsl.Notebooks.Display;

/// <summary>An encoded PNG; displayed as image/png.</summary>
public sealed record PngImage(byte[] Bytes, int Width, int Height)
{
    public string Base64 => Convert.ToBase64String(Bytes);
    public override string ToString() => $"PNG image {Width}x{Height}";
}
