using System.Diagnostics;
using System.Globalization;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// Load before the measured phases, not counted, in slices, for at least <c>--warmup-seconds</c> and until the service's
/// JIT is done: the runtime's tiered compilation recompiles thousands of hot methods in a service's first minute under
/// load (tier 0, then instrumented, then optimized), which on two busy cores took a fifth of the service's CPU and halved
/// its rate (docs/benchmarks.md, 2026-12-03). Settled: two slices in a row whose JIT time (the service's own
/// <c>dotnet_jit_compilation_time_seconds_total</c>) is under 2 % of the service's CPU time; without that metric, two
/// slices in a row whose service CPU per operation is not 10 % below the one before. At most <c>--warmup-max-seconds</c>.
/// Each slice is printed and summarized, so the cold figures stay in the output.
/// </summary>
public static class Warmup
{
    private const double Settled = 0.9;
    private const double JitShareSettled = 0.02;
    private const string JitSeconds = "dotnet_jit_compilation_time_seconds_total";

    /// <summary>Runs <paramref name="slice"/> (given its number) until settled; returns the summary for the setup row.</summary>
    public static async Task<string> UntilSettled(BenchContext context, Options options, string what, Func<int, Task<LoadStats>> slice)
    {
        var least = options.WarmupDuration;
        var most = options.Seconds("warmup-max-seconds", 120);
        Console.WriteLine($"  warm-up: {what} (not counted), at least {least.TotalSeconds:N0} s and until the service's JIT " +
                          $"is done (at most {most.TotalSeconds:N0} s)");
        var clock = Stopwatch.StartNew();
        var slices = new List<string>();
        double? previous = null;
        var steady = 0;
        TimeSpan longest = default;
        while (true)
        {
            var jitBefore = await context.Api.Metric(JitSeconds, CancellationToken.None);
            var cpu = context.MeasureCpu();
            var load = await slice(slices.Count);
            var shares = cpu.Stop();
            var jitAfter = await context.Api.Metric(JitSeconds, CancellationToken.None);
            var serviceMs = shares.Sources.Single(s => s.Name == "service").Share * Environment.ProcessorCount * load.Elapsed.TotalMilliseconds;
            var perOperation = serviceMs / Math.Max(1, load.Count);
            double? jitShare = jitBefore is { } a && jitAfter is { } b ? (b - a) * 1000 / Math.Max(1, serviceMs) : null;
            var jit = jitShare is { } j ? string.Create(CultureInfo.InvariantCulture, $", JIT {j:P0}") : "";
            slices.Add(string.Create(CultureInfo.InvariantCulture, $"{Format.Rate(load.SucceededPerSecond)}/s at {perOperation:F2} ms{jit}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  warm-up {clock.Elapsed.TotalSeconds:N0} s: {Format.Rate(load.SucceededPerSecond)} operations/s, service CPU {perOperation:F2} ms per operation{jit}"));
            var settled = jitShare is { } share ? share < JitShareSettled : previous is { } before && perOperation >= before * Settled;
            steady = settled ? steady + 1 : 0;
            longest = load.Elapsed > longest ? load.Elapsed : longest;
            if ((steady >= 2 && clock.Elapsed >= least) || clock.Elapsed + longest > most) break;
            previous = perOperation;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"warm-up {clock.Elapsed.TotalSeconds:N0} s{(steady >= 2 ? ", until the service's JIT was done" : " (not settled: the limit)")}, " +
            $"slices of {what} (operations/s at service CPU per operation, JIT's share of it): {string.Join("; ", slices)}");
    }
}
