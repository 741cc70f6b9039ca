using System.Collections.Concurrent;
using Ledger.Benchmarks.Harness;
using Npgsql;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>
/// What a SaaS backend does around each costly operation, against a set of accounts: reserve an estimate (1-100
/// credits, as the SQL ledger's debit) and commit the real cost (at most the estimate; above it for
/// <see cref="OverHoldShare"/> of the commits, releasing the hold if that is refused), or record usage directly.
/// Every id is the caller's, so a request is an idempotent handle, as the client libraries send it. Keeps the
/// consumption the service acknowledged, per account, to check it against the balances and the event store.
/// </summary>
public sealed class Spending(LedgerClient api, IReadOnlyList<string> accounts, string runTag)
{
    public const string Feature = "ai";

    private readonly long[] _consumed = new long[accounts.Count];
    private readonly long[] _uncertain = new long[accounts.Count];
    private long _commits;
    private long _usages;
    private long _uncertainOperations;

    /// <summary>The share of commits whose real cost exceeds the hold (the excess is drawn from available credits, or 402).</summary>
    public double OverHoldShare { get; init; }

    public IReadOnlyList<string> Accounts => accounts;

    /// <summary>Reserve then commit: the status of the first step that did not succeed, else the commit's.</summary>
    public async Task<int> Pair(string phase, long i, StepTimer steps, CancellationToken ct)
    {
        var a = Pick();
        var account = accounts[a];
        var estimate = Random.Shared.Next(1, 101);
        var id = $"{runTag}.{phase}.r{i}";
        var reserved = await steps.Time("reserve", t => api.Reserve(account, id, estimate, Feature, t), ct);
        if (!LoadStats.IsSuccess(reserved))
        {
            Uncertain(a, reserved, 0);
            return reserved;
        }
        var cost = Random.Shared.NextDouble() < OverHoldShare ? estimate + Random.Shared.Next(1, estimate + 1) : Random.Shared.Next(1, estimate + 1);
        var committed = await steps.Time("commit", t => api.Commit(account, id, cost, t), ct);
        if (LoadStats.IsSuccess(committed))
        {
            Interlocked.Add(ref _consumed[a], cost);
            Interlocked.Increment(ref _commits);
            return committed;
        }
        Uncertain(a, committed, cost);
        if (committed == 402)
        {
            // DESIGN.md: a commit above the hold that the available credits cannot cover leaves the hold pending.
            var released = await steps.Time("release", t => api.Release(account, id, "bench: the commit was refused", t), ct);
            if (!LoadStats.IsSuccess(released)) return released;
        }
        return committed;
    }

    /// <summary>Direct usage, no hold.</summary>
    public async Task<int> Use(string phase, long i, StepTimer steps, CancellationToken ct)
    {
        var a = Pick();
        var amount = Random.Shared.Next(1, 101);
        var status = await steps.Time("usage", t => api.Usage(accounts[a], $"{runTag}.{phase}.u{i}", amount, Feature, t), ct);
        if (LoadStats.IsSuccess(status))
        {
            Interlocked.Add(ref _consumed[a], amount);
            Interlocked.Increment(ref _usages);
        }
        else Uncertain(a, status, amount);
        return status;
    }

    /// <summary>Half pairs, half usage.</summary>
    public Task<int> Mixed(string phase, long i, StepTimer steps, CancellationToken ct) =>
        i % 2 == 0 ? Pair(phase, i, steps, ct) : Use(phase, i, steps, ct);

    private int Pick() => accounts.Count == 1 ? 0 : Random.Shared.Next(accounts.Count);

    /// <summary>A request without a definite answer (5xx, none) may or may not have taken effect.</summary>
    private void Uncertain(int account, int status, long amount)
    {
        if (!LoadStats.IsServerFailure(status)) return;
        Interlocked.Add(ref _uncertain[account], amount);
        Interlocked.Increment(ref _uncertainOperations);
    }

    public long Consumed => _consumed.Sum();

    /// <summary>
    /// The acknowledged consumption is what the service recorded: in the event store (commit and usage events of these
    /// accounts: count and credits), and in the balances (every account when there are at most <paramref name="sample"/>,
    /// else that many at random): consumed as acknowledged, nothing left reserved, the balance equation.
    /// </summary>
    public async Task Verify(BenchContext context, ScenarioReport report, int sample, CancellationToken ct, string label = "")
    {
        var uncertainTotal = _uncertain.Sum();
        if (_uncertainOperations > 0)
            report.Note($"{_uncertainOperations} operations got no definite answer (5xx or none): up to {uncertainTotal} more credits may have been consumed.");

        // Event store: one commit event per acknowledged commit, one usage event per acknowledged usage, with their credits.
        await using (var command = context.Database.CreateCommand($"""
            SELECT count(*) FILTER (WHERE type = 'reservation_committed'),
                   count(*) FILTER (WHERE type = 'usage_recorded'),
                   coalesce(sum((data->>'amount')::bigint), 0)
            FROM {context.DatabaseSchema}.mt_events
            WHERE stream_id = ANY(@accounts) AND type IN ('reservation_committed', 'usage_recorded')
            """))
        {
            command.Parameters.AddWithValue("accounts", accounts.ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var (commits, usages, credits) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            var exact = _uncertainOperations == 0;
            var holds = exact
                ? commits == _commits && usages == _usages && credits == Consumed
                : commits + usages >= _commits + _usages && credits >= Consumed && credits <= Consumed + uncertainTotal;
            report.Check($"{label}event store: commit and usage events, credits consumed",
                $"{Format.Count(commits)} commits + {Format.Count(usages)} usages, {Format.Count(credits)} credits",
                $"{Format.Count(_commits)} + {Format.Count(_usages)} acknowledged, {Format.Count(Consumed)} credits", holds);
        }

        // Balances through the API.
        var checkedAccounts = accounts.Count <= sample ? Enumerable.Range(0, accounts.Count).ToList()
            : Enumerable.Range(0, accounts.Count).OrderBy(_ => Random.Shared.Next()).Take(sample).ToList();
        var wrong = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(checkedAccounts, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (a, t) =>
        {
            var b = await context.Api.Balance(accounts[a], t);
            var consumedOk = b.Consumed >= _consumed[a] && b.Consumed <= _consumed[a] + _uncertain[a];
            var equation = b.Available + b.Reserved + b.Frozen == b.Granted - b.Consumed - b.Expired - b.Voided + b.Refunded;
            if (!consumedOk || b.Reserved != 0 || !equation || b.Available < 0)
                wrong.Add($"{accounts[a]}: consumed {b.Consumed} (acknowledged {_consumed[a]}), reserved {b.Reserved}, available {b.Available}, " +
                    $"granted {b.Granted}, expired {b.Expired}, voided {b.Voided}, refunded {b.Refunded}, frozen {b.Frozen}");
        });
        report.Check($"{label}balances: consumed = acknowledged, reserved 0, available >= 0, balance equation",
            $"{checkedAccounts.Count - wrong.Count} of {checkedAccounts.Count} accounts{(checkedAccounts.Count < accounts.Count ? " (a random sample)" : "")}",
            $"all {checkedAccounts.Count}", wrong.IsEmpty);
        foreach (var example in wrong.Take(3)) report.Note($"balance mismatch: {example}");
    }

    /// <summary>
    /// Replays one account's stream in order from the event store: at every version, the credits consumed never exceed
    /// those granted, nor do consumed plus held. Returns the number of events read.
    /// </summary>
    public static async Task<(long Events, long Granted, long Consumed, string? FirstBreach)> ReplayOverspend(
        BenchContext context, string accountId, CancellationToken ct)
    {
        await using var command = context.Database.CreateCommand($"""
            SELECT version, type, coalesce((data->>'amount')::bigint, 0), data->>'reservationId'
            FROM {context.DatabaseSchema}.mt_events WHERE stream_id = @account ORDER BY version
            """);
        command.Parameters.AddWithValue("account", accountId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var holds = new Dictionary<string, long>(StringComparer.Ordinal);
        long events = 0, granted = 0, consumed = 0, held = 0;
        string? breach = null;
        while (await reader.ReadAsync(ct))
        {
            events++;
            var (version, type, amount) = (reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2));
            var reservation = reader.IsDBNull(3) ? null : reader.GetString(3);
            switch (type)
            {
                case "credits_granted":
                    granted += amount;
                    break;
                case "credits_reserved":
                    holds[reservation!] = amount;
                    held += amount;
                    break;
                case "reservation_committed":
                    consumed += amount;
                    held -= holds.Remove(reservation!, out var committedHold) ? committedHold : 0;
                    break;
                case "reservation_released" or "reservation_expired":
                    held -= holds.Remove(reservation!, out var releasedHold) ? releasedHold : 0;
                    break;
                case "usage_recorded":
                    consumed += amount;
                    break;
                case "grant_voided" or "grant_expired" or "credits_refunded" or "overage_repaid" or "overage_settled":
                    breach ??= $"version {version}: {type} (not expected in this scenario; the replay does not model it)";
                    break;
            }
            if (breach is null && (consumed > granted || consumed + held > granted))
                breach = $"version {version} ({type}): consumed {consumed} + held {held} > granted {granted}";
        }
        return (events, granted, consumed, breach);
    }
}
