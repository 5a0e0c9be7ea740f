using System.CommandLine;
using NotebookSsl.Notebooks.Running;

namespace NotebookSsl.Cli.Commands;

/// <summary>`nbssl worker` (hidden): the child process `nbssl run` starts for each notebook.</summary>
static class WorkerCommand
{
    public static Command Create()
    {
        var plan = new Option<string>("--plan") { Description = "the plan file the runner wrote", Required = true };
        var events = new Option<string>("--events") { Description = "the events file to append to", Required = true };
        var echo = new Option<bool>("--echo") { Description = "also stream cell output to stderr" };
        var command = new Command("worker", "Runs one notebook's cells for `nbssl run` (started by it; not for direct use).")
        {
            plan, events, echo,
        };
        command.Hidden = true;
        command.SetAction(parsed => Worker.Run(parsed.GetValue(plan)!, parsed.GetValue(events)!, parsed.GetValue(echo)));
        return command;
    }
}
