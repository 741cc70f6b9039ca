using JasperFx.Events;
using Ledger.Projections.ReadModel;
using Marten;

namespace Ledger.Api.Audit;

/// <summary>What an account's stream says happened by an instant (ADR 12), read through <see cref="AccountTimeline"/> (ADR 40).</summary>
public static class AccountHistory
{
    /// <summary>The instant of an event; the stored timestamp only for an event the domain does not date.</summary>
    public static DateTimeOffset InstantOf(IEvent e) => AccountTimeline.InstantOf(e);

    /// <summary>The last version whose event happened at or before <paramref name="at"/> (0: none did).</summary>
    public static Task<long> LastVersionAtOrBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset at, CancellationToken ct) =>
        AccountTimeline.LastVersionAtOrBefore(session, accountId, streamVersion, at, ct);

    /// <summary>The last version whose event happened before <paramref name="end"/> (0: none did).</summary>
    public static Task<long> LastVersionBefore(IQuerySession session, string accountId, long streamVersion, DateTimeOffset end, CancellationToken ct) =>
        AccountTimeline.LastVersionBefore(session, accountId, streamVersion, end, ct);
}
