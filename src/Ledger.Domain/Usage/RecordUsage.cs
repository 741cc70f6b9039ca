using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;

namespace Ledger.Domain.Usage;

/// <summary>Deducts at once, without a hold.</summary>
public sealed record RecordUsage(
    string UsageId, long Amount, string? Feature, IReadOnlyDictionary<string, string>? Metadata) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (known.Usage(UsageId) is { } existing)
        {
            var fields = Same.Differing(("amount", existing.Amount == Amount), ("feature", existing.Feature == Feature),
                ("metadata", Same.Metadata(existing.Metadata, Metadata)));
            return fields.Count == 0 ? Decision.Replay : Decision.Reject(Rejection.IdConflict("Usage", UsageId, fields));
        }
        if (Amount is <= 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("amount", $"Amount must be between 1 and {Limits.MaxAmount}."));
        if (Entitlements.Features.SpendingRefusal(account, context.Plan, Feature, Amount) is { } refusal)
            return Decision.Reject(refusal);
        var draws = DrainOrder.Take(account.Blocks.Values, Amount, context.Now, context.AllowOverage);
        if (draws is null) return Decision.Reject(Funds.Insufficient(account, context.Now, Amount));
        return Decision.Accept(new UsageRecorded(account.Id, UsageId, Amount, draws, Feature, Metadata, context.Now));
    }
}
