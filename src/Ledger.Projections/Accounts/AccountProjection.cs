using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten;
using Marten.Events.Aggregation;

namespace Ledger.Projections.Accounts;

/// <summary>
/// The account's state, kept inline in the same transaction as its events, so a read after a write
/// sees it and the write path loads one document instead of replaying the stream. Marten's live aggregation
/// (<c>AggregateStreamAsync</c>, point-in-time reads) and the rebuild fold the same <see cref="Fold"/>.
/// A write that carries the stream past a multiple of <see cref="AccountSnapshot.Every"/> events also stores the
/// state it leaves as an <see cref="AccountSnapshot"/> (ADR 40), in the same transaction. It also keeps the stream's
/// hash chain head: the <c>hash</c> header of the last event (docs/adr/0045; null if that event has none).
/// </summary>
public sealed class AccountProjection : SingleStreamProjection<Account, string>
{
    public override Account? Evolve(Account? snapshot, string id, IEvent e) => Fold(snapshot, e);

    public static Account? Fold(Account? state, IEvent e) =>
        Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version, ChainHead = HashOf(e) } : null;

    private static string? HashOf(IEvent e) => e.Headers is { } headers && headers.TryGetValue("hash", out var hash) ? hash?.ToString() : null;

    public override ValueTask RaiseSideEffects(IDocumentOperations operations, IEventSlice<Account> slice)
    {
        var events = slice.Events();
        if (slice.Snapshot is { } state && events.Count > 0 && AccountSnapshot.Crosses(events[0].Version - 1, events[^1].Version))
            operations.Store(AccountSnapshot.Of(state, AccountEvents.InstantOf(events[^1].Data) ?? events[^1].Timestamp));
        return ValueTask.CompletedTask;
    }
}
