namespace NotebookSsl.Notebooks.Tests;

/// <summary>
/// Issue 21's test, at the level a user meets it: `nbssl run` with parallel=2 spreads 2 seeds × 2 arms at smoke over two
/// processes on one run store; the same notebook with parallel=1 trains them in one. Every weight file is compared byte
/// for byte, and the markers the training left show that both processes trained and no run was trained twice.
/// </summary>
[Collection(NbsslRuns.Name)]
public sealed class ParallelRunsTests
{
    [Fact]
    public void Two_processes_train_2_seeds_x_2_arms_once_each_and_every_weight_equals_the_one_process_run_bit_for_bit()
    {
        var dir = Nbssl.NewOutDir();
        try
        {
            string parallelStore = Path.Combine(dir, "parallel"), sequentialStore = Path.Combine(dir, "sequential");
            var (code2, log2) = Nbssl.Run("run", Nbssl.Sample("parallel-runs.dib"), "-p", $"store={parallelStore}", "-p", "parallel=2", "--out", Path.Combine(dir, "o2"), "--echo");
            Assert.True(code2 == 0, log2);
            Assert.Contains("its runs spread over 2 processes", log2);
            var (code1, log1) = Nbssl.Run("run", Nbssl.Sample("parallel-runs.dib"), "-p", $"store={sequentialStore}", "-p", "parallel=1", "--out", Path.Combine(dir, "o1"), "--echo");
            Assert.True(code1 == 0, log1);
            Assert.Contains("share 0/2", log2);   // the notebook's own process is share 0 of 2
            Assert.Contains("share 0/1", log1);

            // which process trained what: 4 runs, each trained once, by two processes between them
            var markers = Directory.GetFiles(parallelStore, "trained.*").Select(f => Path.GetFileName(f).Split('.')).ToList();
            Assert.Equal(4, markers.Count);
            Assert.Equal(4, markers.Select(m => (m[2], m[3])).Distinct().Count());
            Assert.Equal(2, markers.Select(m => m[1]).Distinct().Count());
            Assert.Equal(4, Directory.GetFiles(sequentialStore, "trained.*").Length);

            // the same runs, the same bytes
            var weights = Directory.GetFiles(sequentialStore, "weights.safetensors", SearchOption.AllDirectories);
            Assert.Equal(4, weights.Length);
            foreach (var file in weights)
            {
                var twin = Path.Combine(parallelStore, Path.GetRelativePath(sequentialStore, file));
                Assert.True(File.Exists(twin), $"{twin} is missing");
                Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(twin)), $"{Path.GetRelativePath(sequentialStore, file)} differs");
            }
            // and the same probe scores, printed by each notebook's own process
            // "MAE seed 0: loaded=False linear=... knn=... finetune=..." → "MAE seed 0: linear=... knn=... finetune=..." (loaded differs)
            string Scores(string log) => string.Join("\n", log.Split('\n').Where(l => l.Contains(" seed ") && l.Contains(" linear="))
                .Select(l => l[..l.IndexOf(':')].Trim() + ": " + l[l.IndexOf(" linear=")..].Trim()).Order());
            Assert.Equal(Scores(log1), Scores(log2));
            Assert.NotEmpty(Scores(log1));
        }
        finally { Nbssl.Delete(dir); }
    }
}
