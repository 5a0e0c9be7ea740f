using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NotebookSsl.IO;
using NotebookSsl.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("safetensors-tests-");

    public SafetensorsTests() => TorchRuntime.EnsureLoaded();

    public void Dispose() => _dir.Delete(recursive: true);

    static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "mae_parity");

    string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void RoundTripIsBitExactForEveryDtype()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        var special = tensor(new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, 1e-40f });
        var source = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 4, 5, generator: g),                                       // [3, 4, 5]
            ["f32_special"] = special,                                                    // [6]
            ["f64"] = randn(new long[] { 2, 3 }, ScalarType.Float64, generator: g),       // [2, 3]
            ["f16"] = randn(4, 2, generator: g).to(ScalarType.Float16),                   // [4, 2]
            ["bf16"] = randn(5, generator: g).to(ScalarType.BFloat16),                    // [5]
            ["i64"] = tensor(new[] { long.MinValue, -1L, 0L, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 42, int.MaxValue }).reshape(3, 1),
            ["i16"] = tensor(new short[] { short.MinValue, 7, short.MaxValue }),
            ["i8"] = tensor(new sbyte[] { sbyte.MinValue, -3, sbyte.MaxValue }),
            ["u8"] = tensor(new byte[] { 0, 128, 255 }),
            ["bool"] = tensor(new[] { true, false, true, true }),
            ["scalar"] = tensor(3.5f),                                        // []
            ["empty"] = zeros(0, 3),                                          // [0, 3]
        };
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode ✓" };
        var file = PathOf("all.safetensors");

        Safetensors.Save(file, source, meta);
        var loaded = Safetensors.Load(file, out var loadedMeta);

        Assert.Equal(source.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, expected) in source)
        {
            var got = loaded[name];
            Assert.Equal(expected.dtype, got.dtype);
            Assert.Equal(expected.shape, got.shape);
            Assert.True(expected.bytes.SequenceEqual(got.bytes), $"bytes of '{name}' differ after the round trip");
        }
        Assert.Equal(meta.OrderBy(kv => kv.Key), loadedMeta.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void NonContiguousAndOffsetViewsAreSavedByValue()
    {
        using var scope = NewDisposeScope();
        var baseT = arange(24, ScalarType.Float32).reshape(4, 6); // [4, 6]
        var transposed = baseT.t();                                // [6, 4], not contiguous
        var sliced = baseT.slice(0, 1, 3, 1);                      // [2, 6], contiguous view at offset 6
        Assert.False(transposed.is_contiguous());
        var file = PathOf("views.safetensors");

        Safetensors.Save(file, new Dictionary<string, Tensor> { ["t"] = transposed, ["s"] = sliced });
        var loaded = Safetensors.Load(file);

        Assert.True(loaded["t"].eq(transposed).all().item<bool>());
        Assert.True(loaded["s"].eq(sliced).all().item<bool>());
        Assert.Equal(6f, loaded["s"][0, 0].item<float>());
        Assert.True(baseT.eq(arange(24, ScalarType.Float32).reshape(4, 6)).all().item<bool>(), "the source was modified");
    }

    [Fact]
    public void HeaderIsSortedPaddedAndPacked()
    {
        using var scope = NewDisposeScope();
        var file = PathOf("layout.safetensors");
        Safetensors.Save(file, new Dictionary<string, Tensor>
        {
            ["zeta"] = ones(3),                              // 12 bytes
            ["alpha"] = ones(new long[] { 2 }, ScalarType.Int64), // 16 bytes
            ["Mid"] = ones(1, 1),                            // 4 bytes
        });

        var raw = File.ReadAllBytes(file);
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0, n % 8);
        Assert.Equal(raw.Length, 8 + n + 12 + 16 + 4);
        var json = Encoding.UTF8.GetString(raw, 8, (int)n);
        var trimmed = json.TrimEnd(' ');
        Assert.EndsWith("}", trimmed);                 // padding is spaces only, after the JSON
        Assert.InRange(json.Length - trimmed.Length, 0, 7);
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "Mid", "alpha", "zeta" }, names); // ordinal order, no metadata written when none given
        long expectedBegin = 0;
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(expectedBegin, offs[0]);
            expectedBegin = offs[1];
        }
        Assert.Equal("I64", doc.RootElement.GetProperty("alpha").GetProperty("dtype").GetString());
    }

    // ------------------------------------------------------------------------------------------------
    // The Python-written MAE parity fixture
    // ------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("gray28")]
    public void PythonFixtureHasTheNamesAndShapesItsConfigLists(string variant)
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(FixtureDir, variant);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));

        var weights = Safetensors.Load(Path.Combine(dir, "weights.safetensors"), out var meta);
        var expectedWeights = config.RootElement.GetProperty("weights").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray());
        Assert.Equal(expectedWeights.Keys.Order(), weights.Keys.Order());
        foreach (var (name, shape) in expectedWeights)
        {
            Assert.Equal(shape, weights[name].shape);
            Assert.Equal(ScalarType.Float32, weights[name].dtype);
        }
        Assert.Equal(config.RootElement.GetProperty("torch_version").GetString(), meta["torch"]);

        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));
        var expectedIo = config.RootElement.GetProperty("io").EnumerateObject().ToArray();
        Assert.Equal(expectedIo.Select(p => p.Name).Order(), io.Keys.Order());
        foreach (var p in expectedIo)
        {
            var dtype = p.Value[0].GetString() == "int64" ? ScalarType.Int64 : ScalarType.Float32;
            Assert.Equal(dtype, io[p.Name].dtype);
            Assert.Equal(p.Value[1].EnumerateArray().Select(e => e.GetInt64()).ToArray(), io[p.Name].shape);
        }
    }

    [Fact]
    public void PythonPosEmbedMatchesTheSinCosFormula()
    {
        using var scope = NewDisposeScope();
        var io = Safetensors.Load(Path.Combine(FixtureDir, "io.safetensors"));
        var pe = io["pos_embed_8x8_d16"].data<float>().ToArray(); // [65, 16]
        const int D = 16, G = 8, Half = D / 2, Quarter = D / 4;

        Assert.Equal((1 + G * G) * D, pe.Length);
        for (var d = 0; d < D; d++) Assert.Equal(0f, pe[d]); // the cls row is zero
        double maxErr = 0;
        for (var i = 0; i < G; i++)           // grid row (h)
        for (var j = 0; j < G; j++)           // grid column (w)
        for (var d = 0; d < D; d++)
        {
            // MAE's util/pos_embed.py: the first half encodes grid[0] = the w coordinate (meshgrid(w, h)),
            // the second half the h coordinate; each half is [sin(pos*omega_k), cos(pos*omega_k)],
            // omega_k = 10000^(-k / (D/4)).
            var pos = d < Half ? j : i;
            var k = d % Half;
            var omega = Math.Pow(10000, -(double)(k % Quarter) / Quarter);
            var expected = k < Quarter ? Math.Sin(pos * omega) : Math.Cos(pos * omega);
            maxErr = Math.Max(maxErr, Math.Abs(expected - pe[(1 + i * G + j) * D + d]));
        }
        Assert.True(maxErr < 2e-6, $"pos_embed_8x8_d16 differs from the formula by {maxErr}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("gray28")]
    public void PythonMaskingAndPatchifyMatchAnIndependentRecomputation(string variant)
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(FixtureDir, variant);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        var cfg = config.RootElement;
        int n = cfg.GetProperty("batch").GetInt32(), c = cfg.GetProperty("in_chans").GetInt32();
        int size = cfg.GetProperty("img_size").GetInt32(), p = cfg.GetProperty("patch_size").GetInt32();
        int g = size / p, l = g * g, keep = (int)(l * (1 - cfg.GetProperty("mask_ratio").GetDouble()));
        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));

        var noise = io["noise"].data<float>().ToArray();          // [N, L]
        var idsRestore = io["ids_restore"].data<long>().ToArray(); // [N, L]
        var mask = io["mask"].data<float>().ToArray();            // [N, L]
        for (var b = 0; b < n; b++)
        {
            var order = Enumerable.Range(0, l).OrderBy(x => noise[b * l + x]).ToArray(); // ids_shuffle
            for (var rank = 0; rank < l; rank++)
            {
                Assert.Equal(rank, idsRestore[b * l + order[rank]]);
                Assert.Equal(rank < keep ? 0f : 1f, mask[b * l + order[rank]]);
            }
        }

        var imgs = io["imgs"].data<float>().ToArray();             // [N, C, H, W]
        var patches = io["patchified"].data<float>().ToArray();    // [N, L, p*p*C]
        for (var b = 0; b < n; b++)
        for (var h = 0; h < g; h++)
        for (var w = 0; w < g; w++)
        for (var pi = 0; pi < p; pi++)
        for (var pj = 0; pj < p; pj++)
        for (var ch = 0; ch < c; ch++)
        {
            var pixel = imgs[((b * c + ch) * size + h * p + pi) * size + w * p + pj];
            var patch = patches[(b * l + h * g + w) * (p * p * c) + (pi * p + pj) * c + ch];
            Assert.Equal(pixel, patch);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Malformed files
    // ------------------------------------------------------------------------------------------------

    string WriteRaw(string name, string headerJson, byte[] data, long? claimedHeaderLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(claimedHeaderLength ?? header.Length));
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        var file = PathOf(name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    static InvalidDataException LoadFails(string file)
    {
        var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(file));
        Assert.Contains(file, e.Message);
        return e;
    }

    [Fact]
    public void TooShortFileIsRejected()
    {
        var file = PathOf("short.safetensors");
        File.WriteAllBytes(file, [1, 2, 3]);
        Assert.Contains("too short", LoadFails(file).Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndIsRejected()
    {
        var file = WriteRaw("long.safetensors", "{}", [], claimedHeaderLength: 1000);
        Assert.Contains("runs past the end", LoadFails(file).Message);
    }

    [Fact]
    public void HeaderThatIsNotJsonIsRejected()
    {
        var file = WriteRaw("notjson.safetensors", "{\"a\": [", []);
        Assert.Contains("not valid JSON", LoadFails(file).Message);
    }

    [Fact]
    public void OffsetsThatDisagreeWithTheShapeNameTheTensor()
    {
        var file = WriteRaw("shape.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20]);
        var e = LoadFails(file);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs 24 bytes", e.Message);
    }

    [Fact]
    public void UnknownDtypeNamesTheTensor()
    {
        var file = WriteRaw("dtype.safetensors",
            "{\"z\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        var e = LoadFails(file);
        Assert.Contains("'z'", e.Message);
        Assert.Contains("C64", e.Message);
    }

    [Fact]
    public void OverlappingTensorsAreRejected()
    {
        var file = WriteRaw("overlap.safetensors",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        var e = LoadFails(file);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("overlapping", e.Message);
    }

    [Fact]
    public void TruncatedFileNamesTheTensorThatIsCutOff()
    {
        using var scope = NewDisposeScope();
        var file = PathOf("cut.safetensors");
        Safetensors.Save(file, new Dictionary<string, Tensor> { ["a"] = ones(4), ["b"] = ones(5) });
        var raw = File.ReadAllBytes(file);
        File.WriteAllBytes(file, raw[..^3]);

        var e = LoadFails(file);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void TrailingBytesAreRejected()
    {
        var file = WriteRaw("trailing.safetensors",
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[5]);
        Assert.Contains("trailing bytes", LoadFails(file).Message);
    }

    [Fact]
    public void BoolBytesOtherThanZeroOrOneAreRejected()
    {
        var file = WriteRaw("bool.safetensors",
            "{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", [1, 0, 7]);
        Assert.Contains("'m'", LoadFails(file).Message);
    }

    // ------------------------------------------------------------------------------------------------
    // Failed saves
    // ------------------------------------------------------------------------------------------------

    [Fact]
    public void UnsupportedDtypeFailsWithoutWritingOrTouchingTheTarget()
    {
        using var scope = NewDisposeScope();
        var file = PathOf("target.safetensors");
        Safetensors.Save(file, new Dictionary<string, Tensor> { ["old"] = ones(2) });
        var before = File.ReadAllBytes(file);

        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(file, new Dictionary<string, Tensor>
        {
            ["fine"] = ones(3),
            ["complex"] = zeros(new long[] { 2 }, ScalarType.ComplexFloat32),
        }));

        Assert.Contains("'complex'", e.Message);
        Assert.Equal(before, File.ReadAllBytes(file));
        Assert.Equal(new[] { "target.safetensors" }, _dir.GetFiles().Select(f => f.Name));
        var missing = PathOf("never.safetensors");
        Assert.Throws<ArgumentException>(() => Safetensors.Save(missing, new Dictionary<string, Tensor>
        {
            ["complex"] = zeros(new long[] { 2 }, ScalarType.ComplexFloat32),
        }));
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void FailureWhileMovingIntoPlaceLeavesNoTemporaryFile()
    {
        using var scope = NewDisposeScope();
        var blocked = PathOf("blocked.safetensors");
        Directory.CreateDirectory(blocked); // a folder where the file should go: the final move fails

        Assert.ThrowsAny<IOException>(() =>
            Safetensors.Save(blocked, new Dictionary<string, Tensor> { ["x"] = ones(10) }));

        Assert.Empty(_dir.GetFiles());
        Assert.True(Directory.Exists(blocked));
    }

    [Fact]
    public void ReservedOrEmptyNamesAreRejected()
    {
        using var scope = NewDisposeScope();
        var file = PathOf("names.safetensors");
        Assert.Throws<ArgumentException>(() =>
            Safetensors.Save(file, new Dictionary<string, Tensor> { ["__metadata__"] = ones(1) }));
        Assert.Throws<ArgumentException>(() =>
            Safetensors.Save(file, new Dictionary<string, Tensor> { [""] = ones(1) }));
        Assert.False(File.Exists(file));
    }
}
