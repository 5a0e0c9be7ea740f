using System.Security.Cryptography;
using NotebookSsl.Data;
using NotebookSsl.Methods.Dino;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Methods.UniSsl;
using NotebookSsl.Models;
using NotebookSsl.Runs;
using NotebookSsl.Tests.Data;
using NotebookSsl.Tests.Methods.Dino;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Training;

// TEMPORARY: fingerprints of final weights before/after folding StreamTrainer into Trainer. Deleted afterwards.
public class TempFoldFingerprintTests
{
    static readonly MaeConfig Small = new()
    {
        Encoder = new VitConfig { ImageSize = 16, PatchSize = 4, Width = 16, Depth = 1, Heads = 2 }, DecoderWidth = 16, DecoderDepth = 1, DecoderHeads = 2,
    };

    static string Print(nn.Module m, IEnumerable<StepRecord> steps)
    {
        var losses = steps.Select(s => s.Loss).ToList();
        double sum = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (k, v) in m.state_dict())
        {
            var f = v.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray();
            sum += f.Sum(x => (double)x);
            var bytes = new byte[f.Length * 4];
            Buffer.BlockCopy(f, 0, bytes, 0, bytes.Length);
            sha.AppendData(bytes);
        }
        return $"steps={losses.Count} lastLoss={losses.Last():R} sum={sum:R} sha={Convert.ToHexString(sha.GetHashAndReset())[..16]}";
    }

    [Fact]
    public void Record()
    {
        using var scope = NewDisposeScope();
        var lines = new List<string>();
        var images = rand(32, 1, 16, 16, generator: new Generator(2));

        // epoch path, clipping active, warmup
        Seeds.Set(4);
        using (var mae = new MaskedAutoencoder(Small))
            lines.Add("epoch-clip " + Print(mae, Trainer.Steps(mae, images, null, (x, _, g) => mae.Forward(x, generator: g).Loss,
                new TrainConfig { Epochs = 3, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0.5, Seed = 4, ClipGrad = 0.05 })));
        // epoch path, layer decay, labels, no clip (fine-tuning-like via MaePretraining)
        Seeds.Set(5);
        using (var mae = new MaskedAutoencoder(Small))
            lines.Add("epoch-mae " + Print(mae, MaePretraining.Steps(mae, images, new TrainConfig { Epochs = 2, BatchSize = 8, Lr = 1e-3, Seed = 5 })));
        // checkpointed, cancelled at an epoch boundary (step 4) then resumed
        using (var dir = new TempDir())
        {
            var cfg = new TrainConfig { Epochs = 2, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0.5, Seed = 4 };
            var cp = new Checkpointing(dir["cp"], 100);
            using var cancel = new CancellationTokenSource();
            Seeds.Set(4);
            using (var first = new MaskedAutoencoder(Small))
                foreach (var s in Trainer.Steps(first, images, null, (x, _, g) => first.Forward(x, generator: g).Loss, cfg, cancel: cancel.Token, checkpoint: cp))
                    if (s.Step == 3) cancel.Cancel();
            Seeds.Set(4);
            using var resumed = new MaskedAutoencoder(Small);
            lines.Add("resume-at-boundary " + Print(resumed, Trainer.Steps(resumed, images, null, (x, _, g) => resumed.Forward(x, generator: g).Loss, cfg, checkpoint: cp)));
            Seeds.Set(4);
            using var plain = new MaskedAutoencoder(Small);
            lines.Add("uninterrupted      " + Print(plain, Trainer.Steps(plain, images, null, (x, _, g) => plain.Forward(x, generator: g).Loss, cfg)));
        }
        // stream path, clip, afterStep
        Seeds.Set(6);
        using (var mae = new MaskedAutoencoder(Small))
        using (var stream = new CropStream(rand([1, 1, 40, 40], generator: new Generator(1)), CropStream.StrongAugmentation(16), "one"))
        {
            long seen = 0;
            lines.Add("stream-clip " + Print(mae, MaePretraining.Steps(mae, stream.Batches(4, 7), new TrainConfig { BatchSize = 4, Lr = 1e-3, Seed = 6, ClipGrad = 0.05 },
                new StepBudget(9, 3), afterStep: s => seen += s)) + $" after={seen}");
        }
        // DINO, no clip and clip 3
        var train = DinoConfig.DefaultTrain with { Epochs = 2, BatchSize = 8, WarmupEpochs = 0.5, Lr = 1e-3, Seed = 1 };
        foreach (double? clip in new double?[] { null, 3.0, 0.01 })
        {
            Seeds.Set(1);
            using var dino = new DinoModel(DinoTests.Tiny);
            lines.Add($"dino-clip{clip} " + Print(dino, dino.Steps(images[..16], train with { ClipGrad = clip })));
        }
        Seeds.Set(2);
        using (var uni = new UniSslModel(new UniSslConfig { Dino = DinoTests.Tiny, Points = 3, WindowTokens = 3 }))
            lines.Add("unissl-noclip " + Print(uni, uni.Steps(images[..16], train with { ClipGrad = null })));
        File.WriteAllLines(Environment.GetEnvironmentVariable("FOLD_OUT") ?? "/tmp/fold.txt", lines);
    }
}
