using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Grants;

public sealed record GrantCredits(
    string GrantId, long Amount, GrantSource Source, int? Priority, DateTimeOffset? EffectiveAt,
    DateTimeOffset? ExpiresAt, CostBasis? CostBasis, string? Reference, string? Reason) : IAccountCommand
{
    public int EffectivePriority => Priority ?? CreditBlock.DefaultPriority(Source);

    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (GrantId == CreditBlock.OverageId)
            return Decision.Reject(Rejection.Invalid("grantId", $"'{CreditBlock.OverageId}' is reserved for the overage block."));
        if (account.Blocks.TryGetValue(GrantId, out var existing)) return Compare(existing);
        if (Amount is <= 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("amount", $"Amount must be between 1 and {Limits.MaxAmount}."));
        if (ExpiresAt is { } expiry && (expiry <= context.Now || expiry <= EffectiveAt))
            return Decision.Reject(Rejection.Invalid("expiresAt", "expiresAt must be later than now and than effectiveAt."));
        var lifetime = account.Blocks.Values.Sum(b => b.Amount);
        if (lifetime > Limits.MaxLifetimeGranted - Amount)
            return Decision.Reject(new Rejection(RejectionCodes.BalanceLimitExceeded,
                $"The account's lifetime grants would exceed {Limits.MaxLifetimeGranted} credits."));

        return Decision.Accept(new CreditsGranted(account.Id, GrantId, Amount, Source, EffectivePriority,
            EffectiveAt, ExpiresAt, CostBasis, Reference, Reason, context.Now));
    }

    private Decision Compare(CreditBlock block)
    {
        var fields = Same.Differing(
            ("amount", block.Amount == Amount), ("source", block.Source == Source),
            ("priority", block.Priority == EffectivePriority), ("effectiveAt", block.EffectiveAt == EffectiveAt),
            ("expiresAt", block.ExpiresAt == ExpiresAt), ("costBasis", block.CostBasis == CostBasis),
            ("reference", block.Reference == Reference), ("reason", block.Reason == Reason));
        return fields.Count == 0 ? Decision.Replay : Decision.Reject(Rejection.IdConflict("Grant", GrantId, fields));
    }
}
