using System.Diagnostics;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// Closed-loop load: <c>clients</c> workers each send the next item as soon as their previous request is
/// answered, so the rate measured is what the service sustains, not what the generator offers.
/// </summary>
public static class LoadGenerator
{
    /// <summary>Status recorded for a request that got no HTTP answer (connection refused or reset, timeout).</summary>
    public const int NoAnswer = 0;

    public static async Task<LoadStats> Run<T>(IReadOnlyList<T> work, int clients, Func<T, CancellationToken, Task<int>> send, CancellationToken ct)
    {
        var latenciesMs = new double[work.Count];
        var statuses = new int[work.Count];
        var next = -1;
        string? firstError = null;

        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < work.Count)
            {
                ct.ThrowIfCancellationRequested();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    statuses[i] = await send(work[i], ct);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    statuses[i] = NoAnswer;
                    Interlocked.CompareExchange(ref firstError, ex.Message, null);
                }
                latenciesMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Worker, ct)));
        return new LoadStats(latenciesMs, statuses, clock.Elapsed, firstError);
    }
}

public sealed class LoadStats
{
    private readonly double[] _sortedLatenciesMs;

    public LoadStats(double[] latenciesMs, int[] statuses, TimeSpan elapsed, string? firstError)
    {
        _sortedLatenciesMs = latenciesMs.Order().ToArray();
        StatusCounts = statuses.GroupBy(s => s).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        Elapsed = elapsed;
        FirstError = firstError;
    }

    public int Count => _sortedLatenciesMs.Length;
    public TimeSpan Elapsed { get; }
    public double PerSecond => Count / Elapsed.TotalSeconds;
    public IReadOnlyDictionary<int, int> StatusCounts { get; }
    public string? FirstError { get; }

    public int CountWhere(Func<int, bool> status) => StatusCounts.Where(kv => status(kv.Key)).Sum(kv => kv.Value);

    /// <summary>Nearest-rank percentile, in milliseconds.</summary>
    public double PercentileMs(double percent)
    {
        if (Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(percent / 100 * Count);
        return _sortedLatenciesMs[Math.Clamp(rank - 1, 0, Count - 1)];
    }

    public string StatusSummary() =>
        string.Join(", ", StatusCounts.Select(kv => $"{(kv.Key == LoadGenerator.NoAnswer ? "no answer" : kv.Key.ToString())}: {kv.Value}"));
}
