using System.Text;
using NotebookSsl.Notebooks.Documents;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>A notebook that is not valid UTF-8 is refused, naming the file and the byte, instead of running with U+FFFD in it.</summary>
public sealed class Utf8NotebookTests
{
    static byte[] Dib(byte[] code) =>
    [
        .. "#!meta\n\n{\"kernelInfo\":{\"defaultKernelName\":\"csharp\",\"items\":[{\"name\":\"csharp\"}]}}\n\n#!csharp\n\nConsole.WriteLine(\""u8,
        .. code, .. "\");\n"u8,
    ];

    static readonly int CodeOffset = Dib([]).Length - "\");\n".Length;

    [Fact]
    public void A_latin1_byte_is_refused_with_its_offset_and_a_bom_is_accepted()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var bad = Path.Combine(dir, "bad.dib");
            File.WriteAllBytes(bad, Dib([(byte)'c', (byte)'a', (byte)'f', 0xE9]));
            var e = Assert.Throws<InvalidDataException>(() => NotebookDocument.Load(bad));
            Assert.Equal($"{bad} is not valid UTF-8: byte 0xE9 at offset {CodeOffset + 3}; save the notebook as UTF-8.", e.Message);

            var good = Path.Combine(dir, "good.dib");
            File.WriteAllBytes(good, [0xEF, 0xBB, 0xBF, .. Dib(Encoding.UTF8.GetBytes("café"))]);
            Assert.Contains("café", NotebookDocument.Load(good).Cells.Single().Source);
        }
        finally { Nbssl.Delete(dir); }
    }

    [Fact]
    public void Nbssl_run_and_convert_refuse_it_naming_the_file_and_offset()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            var bad = Path.Combine(dir, "bad.dib");
            File.WriteAllBytes(bad, Dib([0xC3, 0x28]));   // a lead byte without its continuation
            var expected = $"{bad} is not valid UTF-8: byte 0xC3 at offset {CodeOffset}";
            var (exit, log) = Nbssl.Run("run", bad, "--out", Path.Combine(dir, "out"));
            Assert.Equal(1, exit);
            Assert.Contains(expected, log);
            (exit, log) = Nbssl.Run("convert", bad);
            Assert.Equal(1, exit);
            Assert.Equal($"nbssl: {expected}; save the notebook as UTF-8.", log.TrimEnd('\n'));
            Assert.False(File.Exists(Path.ChangeExtension(bad, ".ipynb")));
        }
        finally { Nbssl.Delete(dir); }
    }
}
