namespace Dsm.Cli;

/// <summary>An option a command accepts.</summary>
/// <param name="Name">Long name without dashes ("max-instructions").</param>
/// <param name="ValueName">Placeholder of the option's value in help ("N"), or null for a flag.</param>
/// <param name="Description">One-line help text.</param>
/// <param name="ShortName">Optional one-letter alias without the dash.</param>
/// <param name="Repeatable">Whether the option may be given more than once (each value is kept, see <see cref="CommandLineArguments.GetAll"/>).</param>
public sealed record OptionSpec(string Name, string? ValueName, string Description, char? ShortName = null, bool Repeatable = false)
{
    /// <summary>Whether the option takes a value.</summary>
    public bool TakesValue => ValueName is not null;

    /// <summary>How the option appears in help: <c>-h, --help</c> or <c>--board NAME</c>.</summary>
    public string Synopsis => (ShortName is { } s ? $"-{s}, " : string.Empty) + $"--{Name}" + (ValueName is null ? string.Empty : $" {ValueName}");
}

/// <summary>A command line is wrong: unknown option, missing value, bad number.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A parsed command line: options (<c>--name value</c>, <c>--name=value</c>, <c>-x</c>), positional
/// arguments, and whatever follows <c>--</c>.
/// </summary>
public sealed class CommandLineArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _repeated = new(StringComparer.Ordinal);

    private CommandLineArguments()
    {
    }

    /// <summary>Positional arguments in order.</summary>
    public List<string> Positional { get; } = new();

    /// <summary>Arguments after a <c>--</c> separator, untouched.</summary>
    public List<string> PassThrough { get; } = new();

    /// <summary>Parses <paramref name="args"/> against the options a command accepts.</summary>
    /// <param name="args">The arguments after the command name.</param>
    /// <param name="specs">Accepted options.</param>
    /// <returns>The parsed arguments.</returns>
    /// <exception cref="UsageException">An unknown option, a missing value or a value given to a flag.</exception>
    public static CommandLineArguments Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs)
    {
        var parsed = new CommandLineArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                parsed.PassThrough.AddRange(args.Skip(i + 1));
                break;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                parsed.Positional.Add(arg);
                continue;
            }

            string name;
            string? inlineValue = null;
            OptionSpec? spec;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[2..];
                int equals = name.IndexOf('=', StringComparison.Ordinal);
                if (equals >= 0)
                {
                    inlineValue = name[(equals + 1)..];
                    name = name[..equals];
                }

                spec = specs.FirstOrDefault(s => s.Name == name);
            }
            else
            {
                name = arg[1..];
                spec = name.Length == 1 ? specs.FirstOrDefault(s => s.ShortName == name[0]) : null;
            }

            if (spec is null)
            {
                throw new UsageException($"unknown option '{arg}'");
            }

            string? value = null;
            if (spec.TakesValue)
            {
                if (inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"option '--{spec.Name}' needs a value ({spec.ValueName})");
                }
            }
            else if (inlineValue is not null)
            {
                throw new UsageException($"option '--{spec.Name}' takes no value");
            }

            if (spec.Repeatable && value is not null)
            {
                parsed._options[spec.Name] = value;
                if (!parsed._repeated.TryGetValue(spec.Name, out var values))
                {
                    parsed._repeated[spec.Name] = values = new List<string>();
                }

                values.Add(value);
            }
            else if (!parsed._options.TryAdd(spec.Name, value))
            {
                throw new UsageException($"option '--{spec.Name}' is given more than once");
            }
        }

        return parsed;
    }

    /// <summary>Whether the option (flag or valued) was given.</summary>
    /// <param name="name">Long name.</param>
    /// <returns>True if present.</returns>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The value of a valued option, or null when absent.</summary>
    /// <param name="name">Long name.</param>
    /// <returns>The value or null.</returns>
    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>Every value of a repeatable option, in command-line order; empty when absent.</summary>
    /// <param name="name">Long name.</param>
    /// <returns>The values.</returns>
    public IReadOnlyList<string> GetAll(string name) =>
        _repeated.TryGetValue(name, out var values) ? values : Get(name) is { } single ? [single] : [];

    /// <summary>A positive integer option (digits, optionally with '_' separators or a k/M/G suffix for 10^3/10^6/10^9).</summary>
    /// <param name="name">Long name.</param>
    /// <param name="defaultValue">Value when absent.</param>
    /// <returns>The number.</returns>
    /// <exception cref="UsageException">Not a positive integer.</exception>
    public long GetPositiveInteger(string name, long defaultValue)
    {
        string? text = Get(name);
        if (text is null)
        {
            return defaultValue;
        }

        string digits = text.Replace("_", string.Empty, StringComparison.Ordinal);
        long multiplier = 1;
        if (digits.Length > 1)
        {
            multiplier = char.ToUpperInvariant(digits[^1]) switch
            {
                'K' => 1_000,
                'M' => 1_000_000,
                'G' => 1_000_000_000,
                _ => 1,
            };
            if (multiplier != 1)
            {
                digits = digits[..^1];
            }
        }

        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            || value <= 0 || value > long.MaxValue / multiplier)
        {
            throw new UsageException($"option '--{name}' needs a positive integer, not '{text}'");
        }

        return value * multiplier;
    }
}
