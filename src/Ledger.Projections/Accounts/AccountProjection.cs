using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten.Events.Aggregation;

namespace Ledger.Projections.Accounts;

/// <summary>
/// The account's state, kept inline in the same transaction as its events, so a read after a write
/// sees it and the write path loads one document instead of replaying the stream.
/// </summary>
public sealed class AccountProjection : SingleStreamProjection<Account, string>
{
    public override Account? Evolve(Account? snapshot, string id, IEvent e) =>
        Account.Evolve(snapshot, e.Data) is { } next ? next with { Version = e.Version } : null;
}
