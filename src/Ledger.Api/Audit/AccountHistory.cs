using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten;

namespace Ledger.Api.Audit;

/// <summary>
/// What an account's stream says happened by an instant (ADR 12). An event happened at its own instant
/// (<see cref="AccountEvents.InstantOf"/>: an expiry written late is dated when it fell due), never at the time Marten
/// stored it. Events are appended in non-decreasing instant order (every command catches time up first, dated as it
/// happened), so what happened by an instant is a prefix of the stream: versions 1..k, with k found by a binary search
/// over versions (one event per probe), not by filtering on the stored timestamp.
/// </summary>
public static class AccountHistory
{
    /// <summary>The instant of an event; the stored timestamp only for an event the domain does not date.</summary>
    public static DateTimeOffset InstantOf(IEvent e) => AccountEvents.InstantOf(e.Data) ?? e.Timestamp;

    /// <summary>The last version whose event happened at or before <paramref name="at"/> (0: none did).</summary>
    public static Task<long> LastVersionAtOrBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset at, CancellationToken ct) =>
        LastVersionWhere(session, accountId, streamVersion, instant => instant <= at, ct);

    /// <summary>The last version whose event happened before <paramref name="end"/> (0: none did).</summary>
    public static Task<long> LastVersionBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset end, CancellationToken ct) =>
        LastVersionWhere(session, accountId, streamVersion, instant => instant < end, ct);

    /// <summary>The events that happened before <paramref name="end"/>, in order; null if the account has no stream.</summary>
    public static async Task<IReadOnlyList<IEvent>?> Before(IQuerySession session, string accountId, DateTimeOffset end, CancellationToken ct)
    {
        if (await session.Events.FetchStreamStateAsync(accountId, ct) is not { } stream) return null;
        var last = await LastVersionBefore(session, accountId, stream.Version, end, ct);
        return last == 0 ? [] : await session.Events.FetchStreamAsync(accountId, last, token: ct);
    }

    /// <summary>Largest k in [0, <paramref name="streamVersion"/>] whose event's instant satisfies <paramref name="happened"/> (true on a prefix).</summary>
    private static async Task<long> LastVersionWhere(
        IQuerySession session, string accountId, long streamVersion, Func<DateTimeOffset, bool> happened, CancellationToken ct)
    {
        async Task<bool> HappenedAt(long version)
        {
            var probe = await session.Events.FetchStreamAsync(accountId, version, fromVersion: version, token: ct);
            return probe.Count == 1 && happened(InstantOf(probe[0]));
        }

        if (streamVersion == 0 || await HappenedAt(streamVersion)) return streamVersion; // the usual read: up to now
        long low = 0, high = streamVersion - 1;
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (await HappenedAt(middle)) low = middle;
            else high = middle - 1;
        }
        return low;
    }
}
