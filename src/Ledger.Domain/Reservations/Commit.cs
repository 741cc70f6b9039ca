using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Reservations;

/// <summary>
/// Consumes what the operation really cost and releases the rest, in one event. A cost above the
/// hold draws the excess from free credits (or overage) atomically, or fails leaving the hold pending; the excess is
/// new spending, so a frozen or suspended account, or a feature now off, refuses it as a reserve would.
/// </summary>
public sealed record Commit(
    string ReservationId, long? Amount, string? ReceiptId, IReadOnlyDictionary<string, string>? Metadata) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        var record = known.Reservation(ReservationId);
        if (record is null) return Decision.Reject(Funds.NotFound(ReservationId));
        if (record.Status == ReservationStatus.Committed)
            return record.Committed == (Amount ?? record.Amount) && record.ReceiptId == ReceiptId
                ? Decision.Replay
                : Decision.Reject(Funds.NotPending(record));
        if (record.Status != ReservationStatus.Pending || !account.Holds.TryGetValue(ReservationId, out var hold))
            return Decision.Reject(Funds.NotPending(record));

        var amount = Amount ?? hold.Amount;
        if (amount is < 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("amount", $"Amount must be between 0 and {Limits.MaxAmount}."));
        if (context.Plan is { } plan && amount > plan.MaxCreditsPerRequest)
            return Decision.Reject(new Rejection(RejectionCodes.AmountOverLimit,
                $"At most {plan.MaxCreditsPerRequest} credits per request on the '{plan.Id}' plan.",
                new Dictionary<string, object?> { ["limit"] = plan.MaxCreditsPerRequest, ["requested"] = amount }));

        IReadOnlyList<Draw> consumed, released;
        if (amount <= hold.Amount)
        {
            (consumed, released) = hold.Draws.Split(amount);
        }
        else
        {
            // In-flight work completes up to what it holds; anything above the hold is new spending, checked like usage.
            if (Entitlements.Features.SpendingRefusal(account, context.Plan, hold.Feature, amount) is { } refusal)
                return Decision.Reject(refusal);
            var excess = amount - hold.Amount;
            var extra = DrainOrder.Take(account.Blocks.Values, excess, context.Now, context.AllowOverage);
            if (extra is null) return Decision.Reject(Funds.Insufficient(account, context.Now, excess, hold.Amount));
            (consumed, released) = (hold.Draws.Concat(extra).Merge(), []);
        }
        return Decision.Accept(new ReservationCommitted(account.Id, ReservationId, amount, Amount, consumed, released,
            ReceiptId, Metadata, context.Now));
    }
}
