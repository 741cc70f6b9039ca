using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;

namespace Ledger.Domain.Refunds;

public sealed record RefundRecord(
    string AccountId, string RefundId, RefundSourceKind SourceKind, string SourceId, long Amount,
    IReadOnlyList<Draw> Draws, string? Reason, DateTimeOffset RefundedAt)
{
    public string Id => RecordKeys.For(AccountId, RefundId);

    public static RefundRecord? Evolve(RefundRecord? record, object @event) => @event is CreditsRefunded e && record is null
        ? new RefundRecord(e.AccountId, e.RefundId, e.SourceKind, e.SourceId, e.Amount, e.Draws, e.Reason, e.RefundedAt)
        : record;
}
