using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ledger.Benchmarks.Harness;

/// <summary>
/// Load on the service. Closed loop (<see cref="Run{T}"/>, <see cref="RunFor"/>): <c>clients</c> workers each send
/// the next request as soon as their previous one is answered, so the rate measured is what the service sustains,
/// not what the generator offers. Open loop (<see cref="Paced"/>): operations start on a fixed schedule whatever
/// the answers, so the latency measured is what a caller sees at that rate.
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
        var errors = new FirstError();

        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < work.Count)
            {
                ct.ThrowIfCancellationRequested();
                var started = Stopwatch.GetTimestamp();
                statuses[i] = await Answered(() => send(work[i], ct), errors, ct);
                latenciesMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Worker, ct)));
        return new LoadStats(latenciesMs, statuses, clock.Elapsed, errors.Message);
    }

    /// <summary>
    /// Closed loop for a fixed time: operation <c>i</c> (0, 1, 2, ... across all workers) until
    /// <paramref name="duration"/> has passed; the requests in flight then are finished and counted.
    /// </summary>
    public static async Task<LoadStats> RunFor(TimeSpan duration, int clients, Func<long, CancellationToken, Task<int>> operation, CancellationToken ct)
    {
        var next = -1L;
        var errors = new FirstError();
        var clock = Stopwatch.StartNew();

        async Task<List<(double Ms, int Status)>> Worker()
        {
            var results = new List<(double, int)>(4096);
            while (clock.Elapsed < duration)
            {
                ct.ThrowIfCancellationRequested();
                var i = Interlocked.Increment(ref next);
                var started = Stopwatch.GetTimestamp();
                var status = await Answered(() => operation(i, ct), errors, ct);
                results.Add((Stopwatch.GetElapsedTime(started).TotalMilliseconds, status));
            }
            return results;
        }

        var all = (await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Worker, ct)))).SelectMany(r => r).ToArray();
        return new LoadStats(all.Select(r => r.Ms).ToArray(), all.Select(r => r.Status).ToArray(), clock.Elapsed, errors.Message);
    }

    /// <summary>
    /// Open loop: <paramref name="count"/> operations, operation <c>i</c> due at <c>i / rate</c> seconds, at most
    /// <paramref name="maxInFlight"/> at once (the connection pool's size; beyond it a request would only queue in
    /// the client). Latency counts from when the operation was due, so a stalled service or generator is not hidden
    /// (no coordinated omission); <see cref="PacedStats.LagMs"/> is how late operations started.
    /// </summary>
    public static async Task<PacedStats> Paced(double rate, int count, int maxInFlight, Func<long, CancellationToken, Task<int>> operation,
        CancellationToken ct)
    {
        var latenciesMs = new double[count];
        var lagsMs = new double[count];
        var statuses = new int[count];
        var errors = new FirstError();
        using var slots = new SemaphoreSlim(maxInFlight);
        var clock = Stopwatch.StartNew();
        var running = new List<Task>(count);

        for (var i = 0; i < count; i++)
        {
            var due = i / rate;
            var wait = due - clock.Elapsed.TotalSeconds;
            if (wait > 0.001) await Task.Delay(TimeSpan.FromSeconds(wait), ct);
            await slots.WaitAsync(ct);
            var index = i;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    lagsMs[index] = Math.Max(0, (clock.Elapsed.TotalSeconds - due) * 1000);
                    statuses[index] = await Answered(() => operation(index, ct), errors, ct);
                    latenciesMs[index] = (clock.Elapsed.TotalSeconds - due) * 1000;
                }
                finally
                {
                    slots.Release();
                }
            }, ct));
        }
        await Task.WhenAll(running);
        var stats = new LoadStats(latenciesMs, statuses, clock.Elapsed, errors.Message);
        return new PacedStats(stats, new LoadStats(lagsMs, new int[count], clock.Elapsed, null), rate);
    }

    /// <summary>The status, or <see cref="NoAnswer"/> when the request got no HTTP answer (the first such error is kept).</summary>
    internal static async Task<int> Answered(Func<Task<int>> send, FirstError errors, CancellationToken ct)
    {
        try
        {
            return await send();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            errors.Keep(ex.Message);
            return NoAnswer;
        }
    }

    internal sealed class FirstError
    {
        private string? _message;
        public string? Message => Volatile.Read(ref _message);
        public void Keep(string message) => Interlocked.CompareExchange(ref _message, message, null);
    }
}

/// <summary>An open-loop phase: latency from the schedule, how late operations started, the rate asked for.</summary>
public sealed record PacedStats(LoadStats Load, LoadStats Lag, double TargetRate)
{
    public double LagMs(double percent) => Lag.PercentileMs(percent);
}

/// <summary>
/// The latency and status of each named step of an operation (e.g. the reserve and the commit of a pair), timed
/// from when the step's request was sent.
/// </summary>
public sealed class StepTimer
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(double Ms, int Status)>> _steps = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly LoadGenerator.FirstError _errors = new();

    public async Task<int> Time(string step, Func<CancellationToken, Task<int>> send, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var status = await LoadGenerator.Answered(() => send(ct), _errors, ct);
        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!_steps.TryGetValue(step, out var samples))
        {
            lock (_order)
            {
                if (!_steps.TryGetValue(step, out samples))
                {
                    samples = _steps.GetOrAdd(step, _ => new());
                    _order.Enqueue(step);
                }
            }
        }
        samples.Enqueue((elapsedMs, status));
        return status;
    }

    /// <summary>The steps in the order they were first timed (e.g. reserve, commit, release).</summary>
    public IReadOnlyList<string> Names => [.. _order];

    public LoadStats Stats(string step, TimeSpan elapsed)
    {
        var samples = _steps.TryGetValue(step, out var queue) ? queue.ToArray() : [];
        return new LoadStats(samples.Select(s => s.Ms).ToArray(), samples.Select(s => s.Status).ToArray(), elapsed, _errors.Message);
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

    /// <summary>Answers with a 2xx status.</summary>
    public int Succeeded => CountWhere(IsSuccess);

    public double SucceededPerSecond => Succeeded / Elapsed.TotalSeconds;

    public static bool IsSuccess(int status) => status is >= 200 and < 300;

    /// <summary>A 5xx, or no answer at all: the service failed the request (DESIGN.md: never a 5xx).</summary>
    public static bool IsServerFailure(int status) => status is >= 500 or LoadGenerator.NoAnswer;

    public int CountWhere(Func<int, bool> status) => StatusCounts.Where(kv => status(kv.Key)).Sum(kv => kv.Value);

    /// <summary>Nearest-rank percentile, in milliseconds.</summary>
    public double PercentileMs(double percent)
    {
        if (Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(percent / 100 * Count);
        return _sortedLatenciesMs[Math.Clamp(rank - 1, 0, Count - 1)];
    }

    public double MeanMs => Count == 0 ? double.NaN : _sortedLatenciesMs.Average();

    /// <summary>"p50 / p90 / p99 / max".</summary>
    public string Percentiles() =>
        $"{Format.Ms(PercentileMs(50))} / {Format.Ms(PercentileMs(90))} / {Format.Ms(PercentileMs(99))} / {Format.Ms(PercentileMs(100))}";

    public string StatusSummary() =>
        string.Join(", ", StatusCounts.Select(kv => $"{(kv.Key == LoadGenerator.NoAnswer ? "no answer" : kv.Key.ToString())}: {kv.Value}"));
}
