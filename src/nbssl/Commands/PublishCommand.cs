using System.CommandLine;
using NotebookSsl.Notebooks.Running;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl publish NOTEBOOK...`: runs each at quick and commits the executed .ipynb, its report and the gallery.</summary>
static class PublishCommand
{
    public static Command Create()
    {
        var notebooks = new Argument<string[]>("notebook")
        {
            Description = "notebooks to publish (the .dib beside an .ipynb is the source that runs), all of one folder",
            Arity = ArgumentArity.OneOrMore,
        };
        notebooks.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.StartsWith('-')) r.AddError($"unknown option '{token.Value}'");
        });
        var param = new Option<string[]>("--param", "-p")
        {
            Description = $"name=value: overrides a parameter (repeatable); size={NotebookPublisher.DefaultSize} unless given",
            AllowMultipleArgumentsPerToken = false,
        };
        param.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
                if (token.Value.IndexOf('=') <= 0) r.AddError($"--param takes name=value, got '{token.Value}'");
        });
        var reports = new Option<string?>("--reports")
        {
            Description = "folder of the reports, their shared plotly.js and the gallery index.html (default: docs/reports of the repository)",
        };
        var staging = new Option<string>("--out", "-o")
        {
            Description = "staging folder of the runs (a failed run's notebook and report stay there)",
            DefaultValueFactory = _ => Path.Combine("out", "publish"),
        };
        var timeout = new Option<double?>("--timeout") { Description = "seconds; stop a notebook that runs longer (it is then not published)" };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } s && !(s > 0 && s <= RunCommand.MaxTimeoutSeconds))
                r.AddError($"--timeout takes a positive number of seconds up to {RunCommand.MaxTimeoutSeconds}, got '{r.Tokens.LastOrDefault()?.Value}'");
        });
        var reportsOnly = new Option<bool>("--reports-only")
        {
            Description = "run nothing: redraw each notebook's report and the gallery from its committed executed .ipynb (after a prose edit carried in by nbssl convert)",
        };
        var command = new Command("publish", "Runs notebooks at size quick and, for each that ran to the end, writes the executed .ipynb over the committed one, its report to docs/reports/NAME.html and the gallery docs/reports/index.html. Exit code 0 when all were published, 1 when one failed (its committed files unchanged), 2 on bad usage.")
        {
            notebooks, param, reports, staging, timeout, reportsOnly,
        };
        command.SetAction(parsed =>
        {
            var paths = parsed.GetValue(notebooks)!;
            foreach (var n in paths)
                if (!File.Exists(n)) throw new UsageException($"notebook not found: {n}");
            var reportsFolder = parsed.GetValue(reports) ?? Path.Combine(NotebookSsl.Runs.RepositoryRoot.OrCurrentFolder(), "docs", "reports");
            if (parsed.GetValue(reportsOnly))
                return NotebookPublisher.RedrawReports(paths, reportsFolder, Console.Error);
            var options = new RunOptions
            {
                Worker = RunCommand.SelfCommand(),
                OutputDirectory = parsed.GetValue(staging)!,
                Parameters = (parsed.GetValue(param) ?? []).Select(p => KeyValuePair.Create(p[..p.IndexOf('=')].Trim(), p[(p.IndexOf('=') + 1)..])).ToList(),
                Timeout = parsed.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(t) : null,
            };
            return NotebookPublisher.Publish(paths, options, reportsFolder);
        });
        return command;
    }
}
