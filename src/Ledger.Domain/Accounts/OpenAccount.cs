namespace Ledger.Domain.Accounts;

/// <summary>
/// Opens an account on a plan and starts its first period. With <see cref="BillingCycleAnchor"/> (as Stripe's
/// <c>billing_cycle_anchor</c>), the first period ends at the anchor, at most a month away, with the allowance prorated;
/// periods then renew monthly from it (docs/adr/0066).
/// </summary>
public sealed record OpenAccount(
    string AccountId, string Plan, string? StripeCustomerId, IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset? BillingCycleAnchor = null) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null)
        {
            if (BillingCycleAnchor is { } anchor && (anchor <= context.Now || anchor > Plans.PlanTerms.PeriodEnd(context.Now)))
                return Decision.Reject(Rejection.Invalid("billingCycleAnchor", "The billing cycle anchor must be later than now and at most a month away."));
            var opened = new AccountOpened(AccountId, Plan, StripeCustomerId, Metadata, context.Now);
            if (context.Plan is not { } terms) return Decision.Accept(opened);
            var state = Account.Open(opened);
            var period = new Plans.BillingPeriod(context.Now, BillingCycleAnchor ?? Plans.PlanTerms.PeriodEnd(context.Now));
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
