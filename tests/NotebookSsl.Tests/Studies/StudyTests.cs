using NotebookSsl.Data;
using NotebookSsl.Methods.Mae;
using NotebookSsl.Models;
using NotebookSsl.Probes;
using NotebookSsl.Runs;
using NotebookSsl.Studies;
using NotebookSsl.Training;
using static TorchSharp.torch;

namespace NotebookSsl.Tests.Studies;

public sealed class StudyTests : IDisposable
{
    static readonly VitConfig Tiny = new() { ImageSize = 8, PatchSize = 4, Width = 8, Depth = 1, Heads = 2 };
    readonly string root = Path.Combine(Path.GetTempPath(), $"nbssl-study-{Guid.NewGuid():N}");

    static readonly EvalProtocol Protocol = new()
    {
        TrainImages = 32, FineTuneImages = 16, TestImages = 16, KnnK = 4, LinearIterations = 20,
        FineTune = FineTuning.DefaultConfig with { Epochs = 1, BatchSize = 8, WarmupEpochs = 0 }, FineTuneMixup = null,
    };

    static readonly StudySize Size = StudySize.Smoke with
    {
        Encoder = Tiny, Protocol = Protocol, Seeds = [0, 1],
        Mae = StudySize.Smoke.Mae with { Encoder = Tiny, DecoderWidth = 8, DecoderHeads = 2 },
        Pretrain = new TrainConfig { Epochs = 1, BatchSize = 8, Lr = 1e-3, WarmupEpochs = 0 },
    };

    static ImageDataset Data(int n, int seed) => Probes.EvaluationTests.Data(n, seed);

    Study Open(List<string>? log = null) =>
        new(Size, new Evaluation(Protocol, Data(32, 1), Data(16, 2), new RunStore(root, _ => { })), log is null ? null : log.Add);

    [Fact]
    public void A_pretraining_is_stored_and_loaded_with_the_same_weights()
    {
        var steps = new List<StepRecord>();
        using var trained = Open().Pretrain(Open().Mae, seed: 3, steps.Add);
        Assert.False(trained.Loaded);
        Assert.Equal(32 / 8, steps.Count);                                   // one epoch of batches, reported live
        Assert.Equal(steps.Select(s => s.Loss), trained.Record.Loss);

        var none = new List<StepRecord>();
        using var loaded = Open().Pretrain(Open().Mae, seed: 3, none.Add);
        Assert.True(loaded.Loaded);
        Assert.Empty(none);
        Assert.Equal(trained.Run, loaded.Run);
        foreach (var (a, b) in trained.Encoder.parameters().Zip(loaded.Encoder.parameters())) Assert.True(a.allclose(b, 0, 0));
        Assert.False(loaded.Model.training);                                 // handed back in eval mode
        Assert.IsType<MaskedAutoencoder>(loaded.As<MaskedAutoencoder>());
    }

    [Fact]
    public void The_run_key_is_the_method_config_the_data_and_the_budget()
    {
        var study = Open();
        Assert.Equal(study.KeyOf(study.Mae, 0).Hash, study.KeyOf(PretrainMethod.Mae(Size.Mae, name: "another name"), 0).Hash);
        Assert.NotEqual(study.KeyOf(study.Mae, 0).Hash, study.KeyOf(study.Mae, 1).Hash);
        Assert.NotEqual(study.KeyOf(study.Mae, 0).Hash, study.KeyOf(PretrainMethod.Mae(Size.Mae with { Decoder = DecoderKind.Conv }), 0).Hash);
        Assert.NotEqual(study.KeyOf(study.Mae, 0).Hash,
            study.KeyOf(PretrainMethod.Mae(Size.Mae, augment: PretrainMethod.Augmentation.ColorJitter), 0).Hash);
        var longer = new Study(Size.Override(pretrainEpochs: 2), new Evaluation(Protocol, Data(32, 1), Data(16, 2), new RunStore(root, _ => { })));
        Assert.NotEqual(study.KeyOf(study.Mae, 0).Hash, longer.KeyOf(longer.Mae, 0).Hash);
        // a shared reference is one run wherever it is asked for
        Assert.Equal(study.KeyOf(References.Dino(StudySize.Quick), 0).Hash, study.KeyOf(References.Dino(StudySize.Quick), 0).Hash);
    }

    [Fact]
    public void Run_gives_an_arm_row_and_the_baselines_go_through_the_same_probes()
    {
        var study = Open();
        var runs = new List<ArmRun>();
        foreach (var seed in Size.Seeds)
        {
            runs.Add(study.Run(study.Mae, seed, Probe.Frozen));
            runs.Add(study.RandomInit(seed, Probe.Frozen));
            runs.Add(study.RawPixels(seed, Probe.Standard));
        }
        var rows = ArmRow.Summarise(runs);
        Assert.Equal(["MAE", "random init", "raw pixels"], rows.Select(r => r.Arm));
        Assert.All(rows, r => Assert.Equal(2, r.Linear.Count));
        Assert.True(double.IsNaN(rows[2].FineTune.Mean));                   // raw pixels are never fine-tuned
        Assert.True(rows[0].FinalLoss.Mean > 0);
        Assert.Equal(runs.Where(r => r.Arm == "MAE").OrderBy(r => r.Seed).Select(r => 100 * r.Scores.Linear), ArmRow.Percent(runs, "MAE", Probe.Linear));
        Assert.Contains("MAE, random init, raw pixels", Assert.Throws<ArgumentException>(() => ArmRow.Percent(runs, "CAE", Probe.Linear)).Message);
    }

    [Fact]
    public void Overrides_change_the_budget_and_bad_ones_are_named()
    {
        var s = StudySize.Quick.Override(seeds: "2, 0", pretrainEpochs: 3, fineTuneEpochs: 4);
        Assert.Equal([2, 0], s.Seeds);
        Assert.Equal(3, s.Pretrain.Epochs);
        Assert.Equal(4, s.Protocol.FineTune.Epochs);
        Assert.Equal(StudySize.Quick, StudySize.Quick.Override());
        Assert.Contains("seeds", Assert.Throws<ArgumentException>(() => StudySize.Quick.Override(seeds: "0,x")).Message);
        Assert.Contains("repeats", Assert.Throws<ArgumentException>(() => StudySize.Quick.Override(seeds: "1,1")).Message);
        Assert.Contains("pretrainEpochs", Assert.Throws<ArgumentException>(() => StudySize.Quick.Override(pretrainEpochs: -1)).Message);
    }

    [Fact]
    public void Every_size_names_its_MAE_on_its_own_encoder_and_its_protocol()
    {
        foreach (var size in Enum.GetValues<RunSize>())
        {
            var s = StudySize.For(size);
            Assert.Equal(size, s.Name);
            Assert.Equal(s.Encoder, s.Mae.Encoder);
            Assert.Equal(EvalProtocol.For(size), s.Protocol);
            Assert.Equal(0.75, s.Mae.MaskRatio);
            s.Mae.Validate();
        }
        Assert.Same(StudySize.Quick, StudySize.For("Quick"));
    }

    [Fact]
    public void Another_patch_size_moves_every_encoder_to_its_grid_and_gets_run_keys_of_its_own()
    {
        var s14 = StudySize.Quick.WithPatchSize(2);
        Assert.Equal(14, s14.Encoder.GridSize);
        Assert.Equal(s14.Encoder, s14.Mae.Encoder);
        Assert.Equal(StudySize.Quick.Mae.DecoderDepth, s14.Mae.DecoderDepth);
        Assert.Equal(StudySize.Quick.Pretrain, s14.Pretrain);
        Assert.Equal(14, References.DinoConfigOf(s14).Encoder.GridSize);
        Assert.NotEqual(PretrainMethod.Mae(StudySize.Quick.Mae).Config, PretrainMethod.Mae(s14.Mae).Config);   // the run key holds the config
        Assert.Contains("does not divide", Assert.Throws<ArgumentException>(() => StudySize.Quick.WithPatchSize(3)).Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }
}
