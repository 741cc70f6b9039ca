using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;

namespace Ledger.Domain.Refunds;

/// <summary>
/// Returns credits a commit or usage consumed to the blocks that paid for it, last-drawn block first
/// (the most durable credits come back first); never more than was consumed, across all refunds.
/// </summary>
public sealed record RefundCredits(
    string RefundId, RefundSourceKind SourceKind, string SourceId, long Amount, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (known.Refund(RefundId) is { } existing)
        {
            var fields = Same.Differing(("source", existing.SourceKind == SourceKind && existing.SourceId == SourceId),
                ("amount", existing.Amount == Amount), ("reason", existing.Reason == Reason));
            return fields.Count == 0 ? Decision.Replay : Decision.Reject(Rejection.IdConflict("Refund", RefundId, fields));
        }
        if (Amount is <= 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("amount", $"Amount must be between 1 and {Limits.MaxAmount}."));

        var source = Source(known);
        if (source is null)
            return Decision.Reject(SourceKind == RefundSourceKind.Reservation
                ? Funds.NotFound(SourceId)
                : new Rejection(RejectionCodes.UsageNotFound, $"Usage '{SourceId}' does not exist."));
        var (consumed, refunded, consumedAt) = source.Value;
        var refundable = consumed.Total() - refunded.Total();
        if (Amount > refundable)
            return Decision.Reject(new Rejection(RejectionCodes.RefundExceedsConsumed,
                $"At most {refundable} credits can still be refunded.",
                new Dictionary<string, object?>
                {
                    ["consumed"] = consumed.Total(), ["refunded"] = refunded.Total(), ["requested"] = Amount,
                }));

        return Decision.Accept(new CreditsRefunded(account.Id, RefundId, SourceKind, SourceId, Amount,
            Distribute(consumed, refunded), Reason, context.Now, consumedAt));
    }

    private (IReadOnlyList<Draw> Consumed, IReadOnlyList<Draw> Refunded, DateTimeOffset? ConsumedAt)? Source(AccountRecords known) => SourceKind switch
    {
        RefundSourceKind.Reservation when known.Reservation(SourceId) is { } r => (r.Consumed ?? [], r.RefundedDraws ?? [], r.ResolvedAt),
        RefundSourceKind.Usage when known.Usage(SourceId) is { } u => (u.Draws, u.RefundedDraws ?? [], u.RecordedAt),
        _ => null,
    };

    private IReadOnlyList<Draw> Distribute(IReadOnlyList<Draw> consumed, IReadOnlyList<Draw> refunded)
    {
        var alreadyBack = refunded.ToDictionary(d => d.GrantId, d => d.Amount);
        var open = consumed.Reverse()
            .Select(d => d with { Amount = d.Amount - alreadyBack.GetValueOrDefault(d.GrantId) })
            .Where(d => d.Amount > 0)
            .ToList();
        return open.Split(Amount).Taken;
    }
}
