using System.Diagnostics;
using StbImageSharp;

namespace NotebookSsl.Notebooks.Tests;

/// <summary>Opens the HTML report in headless Chromium and checks that plotly.js really drew the charts.</summary>
[Collection(NbsslRuns.Name)]
public sealed class ChromiumTests(FeaturesRun run)
{
    const string Chromium = "/usr/bin/chromium";

    static ImageResult Screenshot(string htmlPath)
    {
        var profile = Directory.CreateTempSubdirectory("nbssl-chromium-").FullName;
        var shot = Path.Combine(profile, "screenshot.png");   // removed with the profile: nothing stays under /tmp
        try { return Shoot(htmlPath, profile, shot); }
        finally { RemoveProfile(profile); }
    }

    /// <summary>Chromium's helper processes may still write into the profile for a moment after it exits: retry briefly.</summary>
    static void RemoveProfile(string profile)
    {
        for (int attempt = 0; attempt < 20 && Directory.Exists(profile); attempt++)
        {
            try { Directory.Delete(profile, true); }
            catch (IOException) { Thread.Sleep(250); }
        }
    }

    static ImageResult Shoot(string htmlPath, string profile, string shot)
    {
        var psi = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--hide-scrollbars",
            "--virtual-time-budget=10000", $"--screenshot={shot}", "--window-size=1200,5000", new Uri(htmlPath).AbsoluteUri,
        }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException("chromium hung"); }
        Assert.True(File.Exists(shot), $"chromium wrote no screenshot (exit {p.ExitCode}): {err.Result}");
        return ImageResult.FromMemory(File.ReadAllBytes(shot), ColorComponents.RedGreenBlue);
    }

    /// <summary>Pixels close to a colour (the charts draw their lines in colours nothing else on the page uses).</summary>
    static int Count(ImageResult img, Func<int, int, int, bool> match)
    {
        int n = 0;
        for (int i = 0; i < img.Width * img.Height; i++)
            if (match(img.Data[3 * i], img.Data[3 * i + 1], img.Data[3 * i + 2])) n++;
        return n;
    }

    static bool Magenta(int r, int g, int b) => r > 200 && g < 90 && b > 200;     // C# loss curve, #ff00ff
    static bool Cyan(int r, int g, int b) => r < 90 && g > 150 && g < 240 && b > 200; // F# chart, #00c8ff

    [SkippableFact]
    public void Report_draws_both_charts_in_headless_chromium_offline_and_a_static_image_without_plotly_js()
    {
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install -y chromium); CI installs it, so only this test is skipped");
        Assert.True(run.ExitCode == 0, run.Log);
        var img = Screenshot(run.HtmlPath);
        var magenta = Count(img, Magenta);
        var cyan = Count(img, Cyan);
        Assert.True(magenta > 1000, $"the C# loss curve is not drawn ({magenta} magenta pixels)");
        Assert.True(cyan > 300, $"the F# chart is not drawn ({cyan} cyan pixels)");

        // Control: the same page without the embedded plotly.js (and no network) draws no chart lines.
        var html = File.ReadAllText(run.HtmlPath);
        var start = html.IndexOf("<script type=\"text/javascript\">/* plotly.js", StringComparison.Ordinal);
        var end = html.IndexOf("</script>", start, StringComparison.Ordinal) + "</script>".Length;
        var stripped = Path.Combine(run.OutDir, "..", Guid.NewGuid().ToString("N") + "-noplotly.html");
        // and the CDN fallback pointed at a closed port, so the control holds on a machine with internet too
        File.WriteAllText(stripped, html.Remove(start, end - start).Replace("https://cdn.plot.ly/", "http://127.0.0.1:9/"));
        try
        {
            // what a viewer that runs no script shows: the static SVG nbssl put inside the chart's div
            var fallback = Screenshot(Path.GetFullPath(stripped));
            Assert.True(Count(fallback, Magenta) > magenta / 3, $"without plotly.js the static image should show the loss curve ({Count(fallback, Magenta)} magenta pixels)");
            File.WriteAllText(stripped, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(stripped), "<img class=\"nbssl-static\"[^>]*>", ""));
            var control = Screenshot(Path.GetFullPath(stripped));
            Assert.True(Count(control, Magenta) < magenta / 10, "without plotly.js and the static image the chart area should stay blank");
        }
        finally { File.Delete(stripped); }
    }
}
