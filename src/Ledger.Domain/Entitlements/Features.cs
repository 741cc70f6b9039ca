using Ledger.Domain.Accounts;
using Ledger.Domain.Plans;
using Ledger.Domain.Reservations;

namespace Ledger.Domain.Entitlements;

/// <summary>
/// Which features an account may use now: its plan's, less <c>ai</c> during a grace period, less
/// everything but <c>reports</c> while suspended.
/// </summary>
public static class Features
{
    public const string Ai = "ai";
    public const string Reports = "reports";

    public static bool IsOn(Account account, IReadOnlyList<string> planFeatures, string feature) =>
        planFeatures.Contains(feature) && account.Status switch
        {
            AccountStatus.Grace => feature != Ai,
            AccountStatus.Suspended => feature == Reports,
            _ => true,
        };

    /// <summary>Why the account may not spend <paramref name="amount"/> on <paramref name="feature"/> now, if it may not.</summary>
    public static Rejection? SpendingRefusal(Account account, PlanTerms? plan, string? feature, long amount)
    {
        if (account.SpendingFrozen)
            return new Rejection(RejectionCodes.AccountFrozen,
                "Spending is frozen after a usage anomaly until an administrator clears it.");
        if (account.Status == AccountStatus.Suspended && (feature is null || feature != Reports))
            return new Rejection(RejectionCodes.AccountSuspended, "The account is suspended for non-payment.",
                new Dictionary<string, object?> { ["feature"] = feature });
        // Grace turns ai off whatever the plan (its holds were released when grace started), even on terms the host does not know.
        if (feature is not null && (plan is null ? account.Status == AccountStatus.Grace && feature == Ai : !IsOn(account, plan.Features, feature)))
            return new Rejection(RejectionCodes.FeatureDisabled,
                account.Status == AccountStatus.Grace && feature == Ai && (plan is null || plan.Features.Contains(feature))
                    ? "The 'ai' feature is off during the payment grace period."
                    : $"The '{feature}' feature is not part of the '{plan!.Id}' plan.",
                new Dictionary<string, object?> { ["feature"] = feature });
        if (plan is null) return null;
        if (amount > plan.MaxCreditsPerRequest)
            return new Rejection(RejectionCodes.AmountOverLimit,
                $"At most {plan.MaxCreditsPerRequest} credits per request on the '{plan.Id}' plan.",
                new Dictionary<string, object?> { ["limit"] = plan.MaxCreditsPerRequest, ["requested"] = amount });
        return null;
    }

    /// <summary>
    /// Releases the open holds whose work the status now refuses: <c>ai</c> holds in grace; while suspended, every hold
    /// but <c>reports</c> ones, featureless holds included (a suspended account may not spend without a feature either,
    /// so a featureless hold left open could be extended and committed past the suspension).
    /// </summary>
    public static IReadOnlyList<object> ReleaseHoldsTurnedOff(Account after, string reason, DateTimeOffset at) =>
        after.Holds.Values
            .Where(h => after.Status == AccountStatus.Suspended ? h.Feature != Reports : h.Feature == Ai)
            .OrderBy(h => h.ReservationId, StringComparer.Ordinal)
            .Select(h => (object)new ReservationReleased(after.Id, h.ReservationId, h.Draws, reason, at))
            .ToList();

    public static IReadOnlyList<object> Suspend(Account state, string reason, DateTimeOffset at)
    {
        var suspended = new AccountSuspended(state.Id, reason, at);
        return [suspended, .. ReleaseHoldsTurnedOff(state.Then([suspended]), reason, at)];
    }
}
