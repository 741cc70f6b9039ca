using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten.Events.Aggregation;

namespace Ledger.Projections.Accounts;

/// <summary>
/// The account's state, kept inline in the same transaction as its events, so a read after a write
/// sees it and the write path loads one document instead of replaying the stream. It also keeps the stream's hash chain
/// head: the <c>hash</c> header of the last event (docs/adr/0045; null if that event has none).
/// </summary>
public sealed class AccountProjection : SingleStreamProjection<Account, string>
{
    public override Account? Evolve(Account? snapshot, string id, IEvent e) =>
        Account.Evolve(snapshot, e.Data) is { } next ? next with { Version = e.Version, ChainHead = HashOf(e) } : null;

    private static string? HashOf(IEvent e) => e.Headers is { } headers && headers.TryGetValue("hash", out var hash) ? hash?.ToString() : null;
}
