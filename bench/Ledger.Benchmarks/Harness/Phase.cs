using System.Globalization;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// One measured phase of a scenario: the load, the latency and status of each step of the operation, where the
/// CPU went and the service's resident memory while it ran.
/// </summary>
public sealed record PhaseResult(
    string Name, string Unit, int Clients, LoadStats Load, IReadOnlyDictionary<string, LoadStats> Steps, CpuShares Cpu, RssSummary Rss,
    PacedStats? Paced = null)
{
    /// <summary>Operations per second that succeeded (every step 2xx).</summary>
    public double Rate => Load.SucceededPerSecond;

    /// <summary>The latency of one step; the whole operation when it has a single step or none was named.</summary>
    public LoadStats Step(string name) => Steps.TryGetValue(name, out var stats) ? stats : Load;

    /// <summary>The answers of every request, step by step (the whole operation when no step was named).</summary>
    public IEnumerable<LoadStats> Requests => Steps.Count > 0 ? Steps.Values : [Load];

    public string Summary()
    {
        var steps = Steps.Count > 1 ? "; " + string.Join("; ", Steps.Select(s => $"{s.Key} p99 {Format.Ms(s.Value.PercentileMs(99))}")) : "";
        var offered = Paced is { } paced ? $" (offered {Format.Rate(paced.TargetRate)}/s, start lag p99 {Format.Ms(paced.LagMs(99))})" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"  {Name}: {Format.Rate(Rate)} {Unit}/s{offered}, latency {Load.Percentiles()}{steps}; answers {Answers()}; CPU {Cpu}; RSS {Rss}");
    }

    public string Answers() => Steps.Count == 0 ? Load.StatusSummary()
        : string.Join("; ", Steps.Select(s => $"{s.Key} {s.Value.StatusSummary()}"));
}

public static class Phase
{
    /// <summary>The maximum rate: a closed loop of <paramref name="clients"/> for <paramref name="duration"/>.</summary>
    public static async Task<PhaseResult> MaxRate(BenchContext context, string name, string unit, TimeSpan duration, int clients,
        Func<long, StepTimer, CancellationToken, Task<int>> operation, CancellationToken ct)
    {
        Console.WriteLine($"  {name}: closed loop, {clients} clients, {duration.TotalSeconds:N0} s");
        var steps = new StepTimer();
        var mark = RssSampler.Mark();
        var cpu = context.MeasureCpu();
        var load = await LoadGenerator.RunFor(duration, clients, (i, t) => operation(i, steps, t), ct);
        var result = new PhaseResult(name, unit, clients, load, StepsOf(steps, load), cpu.Stop(), context.Rss.Since(mark));
        Console.WriteLine(result.Summary());
        return result;
    }

    /// <summary>A closed loop of <paramref name="clients"/> through exactly <paramref name="count"/> operations.</summary>
    public static async Task<PhaseResult> Count(BenchContext context, string name, string unit, int count, int clients,
        Func<long, StepTimer, CancellationToken, Task<int>> operation, CancellationToken ct)
    {
        Console.WriteLine($"  {name}: closed loop, {clients} clients, {count} operations");
        var steps = new StepTimer();
        var mark = RssSampler.Mark();
        var cpu = context.MeasureCpu();
        var load = await LoadGenerator.Run(Enumerable.Range(0, count).ToList(), clients, (i, t) => operation(i, steps, t), ct);
        var result = new PhaseResult(name, unit, clients, load, StepsOf(steps, load), cpu.Stop(), context.Rss.Since(mark));
        Console.WriteLine(result.Summary());
        return result;
    }

    /// <summary>How many operations <paramref name="rate"/> per second makes in <paramref name="duration"/>.</summary>
    public static int CountFor(double rate, TimeSpan duration) => Math.Max(1, (int)Math.Round(rate * duration.TotalSeconds));

    /// <summary>
    /// Latency at a given load: <paramref name="count"/> operations at <paramref name="rate"/> per second on a fixed
    /// schedule (open loop), at most <paramref name="clients"/> in flight.
    /// </summary>
    public static async Task<PhaseResult> AtRate(BenchContext context, string name, string unit, double rate, int count, int clients,
        Func<long, StepTimer, CancellationToken, Task<int>> operation, CancellationToken ct)
    {
        Console.WriteLine($"  {name}: open loop, {Format.Rate(rate)} {unit}/s for {count / rate:N0} s ({count} operations, at most {clients} in flight)");
        var steps = new StepTimer();
        var mark = RssSampler.Mark();
        var cpu = context.MeasureCpu();
        var paced = await LoadGenerator.Paced(rate, count, clients, (i, t) => operation(i, steps, t), ct);
        var result = new PhaseResult(name, unit, clients, paced.Load, StepsOf(steps, paced.Load), cpu.Stop(), context.Rss.Since(mark), paced);
        Console.WriteLine(result.Summary());
        return result;
    }

    /// <summary>Half of a measured maximum (the rate DESIGN.md's latency target is stated at), at least one per second.</summary>
    public static double HalfOf(PhaseResult max) => Math.Max(1, max.Rate / 2);

    private static Dictionary<string, LoadStats> StepsOf(StepTimer steps, LoadStats load) =>
        steps.Names.ToDictionary(n => n, n => steps.Stats(n, load.Elapsed), StringComparer.Ordinal);
}
