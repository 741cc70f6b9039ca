namespace Ledger.Domain.Accounts;

public sealed record OpenAccount(
    string AccountId, string Plan, string? StripeCustomerId, IReadOnlyDictionary<string, string>? Metadata) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null)
        {
            var opened = new AccountOpened(AccountId, Plan, StripeCustomerId, Metadata, context.Now);
            if (context.Plan is not { } terms) return Decision.Accept(opened);
            var state = Account.Open(opened);
            var period = new Plans.BillingPeriod(context.Now, Plans.PlanTerms.PeriodEnd(context.Now));
            IReadOnlyList<object> trial = terms.TrialGrant > 0
                ? [new CreditsGranted(AccountId, "trial", terms.TrialGrant, Credits.GrantSource.Promo, 10, null, null, null, null,
                    $"{terms.Id} trial", context.Now)]
                : [];
            return new Decision.Accepted([opened, .. Plans.Periods.Start(state, terms, period, context.Now, carry: 0), .. trial]);
        }
        return account.Plan == Plan
            ? Decision.Replay
            : Decision.Reject(new Rejection(RejectionCodes.AccountExists,
                $"Account '{AccountId}' already exists on plan '{account.Plan}'.",
                new Dictionary<string, object?> { ["plan"] = account.Plan }));
    }
}
