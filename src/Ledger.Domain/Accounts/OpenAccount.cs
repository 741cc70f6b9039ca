namespace Ledger.Domain.Accounts;

public sealed record OpenAccount(
    string AccountId, string Plan, string? StripeCustomerId, IReadOnlyDictionary<string, string>? Metadata) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null)
            return Decision.Accept(new AccountOpened(AccountId, Plan, StripeCustomerId, Metadata, context.Now));
        return account.Plan == Plan
            ? Decision.Replay
            : Decision.Reject(new Rejection(RejectionCodes.AccountExists,
                $"Account '{AccountId}' already exists on plan '{account.Plan}'.",
                new Dictionary<string, object?> { ["plan"] = account.Plan }));
    }
}
