using System.CommandLine;
using System.CommandLine.Parsing;

namespace NotebookSsl.Cli;

/// <summary>
/// One rule for the value of every option of every command, applied to the whole tree in <see cref="Program.Build"/>
/// so that a new option gets it without asking: a value that does not convert to the option's type, or an empty
/// one where a word or a path is expected, is a parse error naming the option and the value (exit code 2, one line).
/// </summary>
/// <remarks>
/// System.CommandLine runs an option's validators even when its value did not convert, and a validator that reads
/// the value then throws (an unhandled exception, exit 134, instead of the parse error). So each validator runs only
/// once the value is known to convert; otherwise the conversion's own error is the one reported.
/// </remarks>
static class OptionValues
{
    public static void Guard(Command command)
    {
        foreach (var option in command.Options)
        {
            if (option.ValueType == typeof(bool)) continue;   // a flag takes no value
            var validators = option.Validators.ToList();
            option.Validators.Clear();
            option.Validators.Add(r =>
            {
                if (ConversionError(option, r) is { } error) { r.AddError(error); return; }
                if (IsText(option.ValueType) && r.Tokens.FirstOrDefault(t => string.IsNullOrWhiteSpace(t.Value)) is { } empty)
                {
                    r.AddError($"{option.Name} takes a non-empty value, got '{empty.Value}'");
                    return;
                }
                foreach (var validate in validators) validate(r);
            });
        }
        foreach (var argument in command.Arguments.Where(a => IsText(a.ValueType)))
            argument.Validators.Add(r =>
            {
                if (r.Tokens.FirstOrDefault(t => string.IsNullOrWhiteSpace(t.Value)) is { } empty)
                    r.AddError($"the {argument.Name} argument takes a non-empty value, got '{empty.Value}'");
            });
        foreach (var sub in command.Subcommands) Guard(sub);
    }

    /// <summary>A validator for an option that names a file to write: refused when the path is an existing folder.</summary>
    public static void FileToWrite(Option<string?> option) => option.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<string?>() is { } path && !string.IsNullOrWhiteSpace(path) && Directory.Exists(path))
            r.AddError($"{option.Name} takes a file to write, but {path} is a folder: name a file in it");
    });

    static readonly System.Reflection.MethodInfo GetValue = typeof(OptionResult).GetMethod(nameof(OptionResult.GetValueOrDefault))!;

    static bool IsText(Type type) => type == typeof(string) || type == typeof(string[]);

    /// <summary>The message when the option's tokens do not convert to its type (read through the library's own conversion), else null.</summary>
    static string? ConversionError(Option option, OptionResult r)
    {
        if (r.Tokens.Count == 0) return null;
        try
        {
            GetValue.MakeGenericMethod(option.ValueType).Invoke(r, null);
            return null;
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is InvalidOperationException or ArgumentException)
        {
            var token = r.Tokens[^1].Value;
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (type.IsArray) type = type.GetElementType()!;
            if (type == typeof(string)) return $"{option.Name}: {e.InnerException!.Message}";   // a word outside the accepted list: the library lists them
            string expected = type == typeof(int) || type == typeof(long) ? "a whole number"
                : type == typeof(double) || type == typeof(float) ? "a number"
                : $"a {type.Name}";
            return $"{option.Name} takes {expected}, got '{token}'";
        }
    }
}
