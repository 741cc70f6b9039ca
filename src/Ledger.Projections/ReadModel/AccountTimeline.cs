using JasperFx.Events;
using Ledger.Domain.Accounts;
using Ledger.Projections.Accounts;
using Marten;

namespace Ledger.Projections.ReadModel;

/// <summary>
/// An account's past, read from its nearest snapshot (ADR 40) and Marten's live aggregation, never from the first event.
/// What happened by an instant is a prefix of the stream (ADR 12: events are appended in non-decreasing order of their
/// own instants), so its last version is bounded by the snapshots on either side of the instant and found by a
/// binary search over at most <see cref="AccountSnapshot.Every"/> versions (one event per probe).
/// </summary>
public static class AccountTimeline
{
    /// <summary>The instant of an event; the stored timestamp only for an event the domain does not date.</summary>
    public static DateTimeOffset InstantOf(IEvent e) => AccountEvents.InstantOf(e.Data) ?? e.Timestamp;

    /// <summary>The account as its stream left it at <paramref name="version"/>, and how many events were replayed for it.</summary>
    public static async Task<(Account? State, long Replayed)> AtVersion(IQuerySession session, string accountId, long version, CancellationToken ct)
    {
        var snapshot = await session.Query<AccountSnapshot>()
            .Where(s => s.AccountId == accountId && s.Version <= version)
            .OrderByDescending(s => s.Version).FirstOrDefaultAsync(ct);
        if (snapshot?.Version == version) return (snapshot.State, 0);
        var from = snapshot?.Version ?? 0;
        var state = await session.Events.AggregateStreamAsync(accountId, version, state: snapshot?.State, fromVersion: from + 1, token: ct);
        return (state, version - from);
    }

    /// <summary>The last version whose event happened at or before <paramref name="at"/> (0: none did).</summary>
    public static Task<long> LastVersionAtOrBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset at, CancellationToken ct) =>
        LastVersionWhere(session, accountId, streamVersion, at, inclusive: true, ct);

    /// <summary>The last version whose event happened before <paramref name="end"/> (0: none did).</summary>
    public static Task<long> LastVersionBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset end, CancellationToken ct) =>
        LastVersionWhere(session, accountId, streamVersion, end, inclusive: false, ct);

    /// <summary>
    /// The events that happened before <paramref name="end"/>, from the last snapshot whose event happened before
    /// <paramref name="notAfter"/> (the start of a statement or series: what came before it is summed up in the
    /// snapshot); null if the account has no stream.
    /// </summary>
    public static async Task<History?> Before(IQuerySession session, string accountId, DateTimeOffset notAfter, DateTimeOffset end, CancellationToken ct)
    {
        if (await session.Events.FetchStreamStateAsync(accountId, ct) is not { } stream) return null;
        var last = await LastVersionBefore(session, accountId, stream.Version, end, ct);
        var start = await session.Query<AccountSnapshot>()
            .Where(s => s.AccountId == accountId && s.InstantTicks < notAfter.UtcTicks && s.Version <= last)
            .OrderByDescending(s => s.Version).FirstOrDefaultAsync(ct);
        var from = start?.Version ?? 0;
        var events = last <= from ? [] : await session.Events.FetchStreamAsync(accountId, last, fromVersion: from + 1, token: ct);
        return new History(start, events);
    }

    private static async Task<long> LastVersionWhere(
        IQuerySession session, string accountId, long streamVersion, DateTimeOffset at, bool inclusive, CancellationToken ct)
    {
        bool Happened(DateTimeOffset instant) => inclusive ? instant <= at : instant < at;
        async Task<bool> HappenedAt(long version)
        {
            var probe = await session.Events.FetchStreamAsync(accountId, version, fromVersion: version, token: ct);
            return probe.Count == 1 && Happened(InstantOf(probe[0]));
        }

        if (streamVersion == 0 || await HappenedAt(streamVersion)) return streamVersion; // the usual read: up to now
        // the snapshots on either side of the instant bound the search
        // (compared in ticks: PostgreSQL rounds a timestamp to microseconds, so a snapshot taken at the very instant asked
        // for would count as after it; a snapshot stored without InstantTicks, null there, bounds nothing: the search is only wider)
        var (snapshots, ticks) = (session.Query<AccountSnapshot>().Where(s => s.AccountId == accountId), at.UtcTicks);
        var below = await (inclusive ? snapshots.Where(s => s.InstantTicks <= ticks) : snapshots.Where(s => s.InstantTicks < ticks))
            .OrderByDescending(s => s.Version).Select(s => s.Version).FirstOrDefaultAsync(ct);
        var firstAbove = await (inclusive ? snapshots.Where(s => s.InstantTicks > ticks) : snapshots.Where(s => s.InstantTicks >= ticks))
            .OrderBy(s => s.Version).Select(s => s.Version).Take(1).ToListAsync(ct);
        long? above = firstAbove.Count > 0 ? firstAbove[0] : null;
        long low = below, high = Math.Min(streamVersion - 1, (above ?? streamVersion) - 1);
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (await HappenedAt(middle)) low = middle;
            else high = middle - 1;
        }
        return low;
    }
}

/// <summary>A stretch of an account's stream: the snapshot it starts from (null: the first event) and the events after it.</summary>
public sealed record History(AccountSnapshot? Start, IReadOnlyList<IEvent> Events)
{
    public Account? StartState => Start?.State;
}
