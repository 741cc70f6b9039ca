using System.Globalization;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// The command line: a command, scenario names, and <c>--name value</c> options. Scenarios read their own
/// sizes from here (e.g. <c>--webhooks-events 8000</c>), so a new scenario needs no new parsing.
/// </summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string Command { get; private init; } = "help";
    public IReadOnlyList<string> Scenarios { get; private init; } = [];

    public static Options Parse(string[] args)
    {
        var positional = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(args[i]);
                continue;
            }
            if (i + 1 >= args.Length) throw new UsageException($"{args[i]} needs a value.");
            values[args[i][2..]] = args[++i];
        }
        var options = new Options
        {
            Command = positional.FirstOrDefault() ?? "help",
            Scenarios = positional.Skip(1).ToList(),
        };
        foreach (var (name, value) in values) options._values[name] = value;
        return options;
    }

    public string Required(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new UsageException($"--{name} is required.");

    public string? Optional(string name) => _values.GetValueOrDefault(name);

    /// <summary>Concurrent clients (<c>--clients</c>): the load generator's and the pgbench baselines', so they compare.</summary>
    public int Clients => Int("clients", 32);

    /// <summary>How long each maximum-rate phase runs (<c>--seconds</c>).</summary>
    public TimeSpan MaxRateDuration => Seconds("seconds", 15);

    /// <summary>How long each latency phase (half the maximum rate, open loop) runs (<c>--latency-seconds</c>).</summary>
    public TimeSpan LatencyDuration => Seconds("latency-seconds", 15);

    /// <summary>Load before the measured phases, not counted (<c>--warmup-seconds</c>).</summary>
    public TimeSpan WarmupDuration => Seconds("warmup-seconds", 3);

    public TimeSpan Seconds(string name, int fallback) => TimeSpan.FromSeconds(Int(name, fallback));

    public int Int(string name, int fallback) =>
        !_values.TryGetValue(name, out var raw) ? fallback
        : int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new UsageException($"--{name} must be a positive integer, not '{raw}'.");
}

public sealed class UsageException(string message) : Exception(message);
