using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Grants;

/// <summary>
/// Takes what is left unheld in a grant out of circulation; parts held now are voided when released. A grant with
/// nothing left is not marked: voiding it is a no-op, as Stripe answers a request that changes nothing.
/// </summary>
public sealed record VoidGrant(string GrantId, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        if (block.IsVoided)
            return Decision.Reject(new Rejection(RejectionCodes.GrantAlreadyVoided, $"Grant '{GrantId}' is already void.",
                new Dictionary<string, object?> { ["voided"] = block.Voided }));
        // Nothing left in it (all spent, expired or taken back): a no-op, answered with nothing voided and no event.
        if (block.Remaining <= 0) return Decision.Replay;
        return Decision.Accept(new GrantVoided(account.Id, GrantId, Math.Max(0, block.Unheld), Reason, context.Now));
    }
}
