using Ledger.Domain.Entitlements;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Tests;

/// <summary>
/// Plan terms shaped like the shipped tiers (DESIGN.md "Plans, periods, quotas, entitlements, grace"), and the
/// plan, period and status events of a story. Periods are monthly from the opening instant <see cref="Facts.T0"/>
/// (2030-01-01): January has 31 days, February 28.
/// </summary>
public static class PlanFacts
{
    public const string Ai = Features.Ai;
    public const string Sync = "sync";
    public const string Reports = Features.Reports;
    public const string Webhooks = "webhooks";

    public static readonly PlanTerms Free = new("free", 1_000, AllowOverage: false, MaxCreditsPerRequest: 1_000, [Reports],
        VelocityCreditsPerHour: 1_000, VelocityFreezes: true);

    public static readonly PlanTerms Starter = new("starter", 10_000, AllowOverage: false, MaxCreditsPerRequest: 10_000, [Ai, Sync, Reports],
        VelocityCreditsPerHour: 10_000, VelocityFreezes: false);

    public static readonly PlanTerms Pro = new("pro", 100_000, AllowOverage: true, MaxCreditsPerRequest: 100_000, [Ai, Sync, Reports, Webhooks],
        RolloverMin: 0, RolloverMax: 50_000, VelocityCreditsPerHour: 100_000, VelocityFreezes: false,
        SettleOverageAtPeriodEnd: OverageSettlement.Invoiced);

    public static readonly PlanTerms Payg = new("payg", 0, AllowOverage: true, MaxCreditsPerRequest: 100_000, [Ai, Sync, Reports],
        VelocityCreditsPerHour: 200_000, VelocityFreezes: true, TrialGrant: 500, SettleOverageAtPeriodEnd: OverageSettlement.Invoiced);

    /// <summary>Fair use: overage allowed and warned, forgiven at the period's end.</summary>
    public static readonly PlanTerms Unlimited = new("unlimited", 5_000_000, AllowOverage: true, MaxCreditsPerRequest: 1_000_000,
        [Ai, Sync, Reports, Webhooks], SettleOverageAtPeriodEnd: OverageSettlement.WrittenOff);

    /// <summary>A small plan for exact arithmetic: 100 a month, at most 50 a request, rollover of 10 to 30, no alarm.</summary>
    public static readonly PlanTerms Basic = new("basic", 100, AllowOverage: false, MaxCreditsPerRequest: 50, [Ai, Sync, Reports],
        RolloverMin: 10, RolloverMax: 30);

    public static DateTimeOffset Feb1 => T0.AddMonths(1);
    public static DateTimeOffset Mar1 => T0.AddMonths(2);
    public static DateTimeOffset Apr1 => T0.AddMonths(3);
    public static DateTimeOffset May1 => T0.AddMonths(4);

    public static BillingPeriod PeriodFrom(DateTimeOffset start) => new(start, start.AddMonths(1));

    public static string AllowanceId(DateTimeOffset periodStart) => PeriodFrom(periodStart).AllowanceGrantId;
    public static string RolloverId(DateTimeOffset periodStart) => PeriodFrom(periodStart).RolloverGrantId;
    public static string ProrationId(string plan, DateTimeOffset periodStart) => PeriodFrom(periodStart).ProrationGrantId(plan);

    public static AccountOpened OpenedOn(PlanTerms plan, DateTimeOffset? at = null) => new(Acc, plan.Id, null, null, at ?? T0);

    public static PeriodStarted PeriodBegan(PlanTerms plan, DateTimeOffset start, DateTimeOffset? at = null) =>
        new(Acc, plan.Id, start, start.AddMonths(1), at ?? start);

    public static CreditsGranted AllowanceGranted(PlanTerms plan, DateTimeOffset periodStart, DateTimeOffset? at = null) =>
        new(Acc, AllowanceId(periodStart), plan.Allowance, GrantSource.Plan, 20, null, periodStart.AddMonths(1), null, null,
            $"{plan.Id} allowance", at ?? periodStart, AllowanceLevel: plan.Allowance);

    public static CreditsGranted RolloverGranted(long amount, DateTimeOffset periodStart, DateTimeOffset? at = null) =>
        new(Acc, RolloverId(periodStart), amount, GrantSource.Plan, 19, null, periodStart.AddMonths(1), null, null,
            "rollover from the previous period", at ?? periodStart);

    public static CreditsGranted ProrationGranted(PlanTerms from, PlanTerms to, long amount, DateTimeOffset periodStart, DateTimeOffset at) =>
        new(Acc, ProrationId(to.Id, periodStart), amount, GrantSource.Plan, 20, null, periodStart.AddMonths(1), null, null,
            $"proration: {from.Id} to {to.Id}", at, AllowanceLevel: to.Allowance);

    public static CreditsGranted TrialGranted(PlanTerms plan, DateTimeOffset? at = null) =>
        new(Acc, "trial", plan.TrialGrant, GrantSource.Promo, 10, null, null, null, null, $"{plan.Id} trial", at ?? T0);

    /// <summary>What opening on <paramref name="plan"/> at <see cref="Facts.T0"/> writes: the first period, its allowance, a trial grant.</summary>
    public static object[] OpeningOn(PlanTerms plan) =>
    [
        OpenedOn(plan), PeriodBegan(plan, T0),
        .. plan.Allowance > 0 ? new object[] { AllowanceGranted(plan, T0) } : [],
        .. plan.TrialGrant > 0 ? new object[] { TrialGranted(plan) } : [],
    ];

    public static PlanChanged PlanMoved(PlanTerms from, PlanTerms to, DateTimeOffset at, string? reason = null) =>
        new(Acc, from.Id, to.Id, reason, at);

    public static GraceStarted GraceBegan(DateTimeOffset at, DateTimeOffset? endsAt = null, string? reason = "card declined") =>
        new(Acc, reason, endsAt ?? at.AddDays(14), at);

    public static GraceEnded GraceOver(DateTimeOffset at, string? reason = "paid") => new(Acc, reason, at);

    public static AccountSuspended Suspended(DateTimeOffset at, string? reason = GraceRanOut) => new(Acc, reason, at);

    public static AccountRestored Restored(DateTimeOffset at, string? reason = "paid") => new(Acc, reason, at);

    public static UsageAnomalyFlagged Flagged(long lastHour, long threshold, bool frozen, DateTimeOffset at) =>
        new(Acc, lastHour, threshold, frozen, at);

    public static UsageAnomalyCleared Cleared(DateTimeOffset at, string? reason = "checked") => new(Acc, reason, at);

    public static GrantFrozen Frozen(string grantId, DateTimeOffset at, string? reason = "dispute") => new(Acc, grantId, reason, at);

    public static OverageSettled Settled(long amount, OverageSettlement how, DateTimeOffset periodStart) =>
        new(Acc, amount, how, periodStart, periodStart.AddMonths(1), periodStart.AddMonths(1));

    public static GrantUnfrozen Unfrozen(string grantId, DateTimeOffset at, string? reason = "dispute won") => new(Acc, grantId, reason, at);

    public const string GraceReleaseReason = "released: payment grace period started";
    public const string GraceRanOut = "grace period ended without payment";
}

/// <summary>The plan, status and abuse-guard commands of a story.</summary>
public static class Admin
{
    public static ChangePlan ChangePlan(PlanTerms to, string? reason = null) => new(to, reason);
    public static StartGrace StartGrace(string? reason = "card declined", DateTimeOffset? endsAt = null) => new(reason, endsAt);
    public static EndGrace EndGrace(string? reason = "paid") => new(reason);
    public static SuspendAccount Suspend(string? reason = "abuse") => new(reason);
    public static RestoreAccount Restore(string? reason = "paid") => new(reason);
    public static ClearAnomaly ClearAnomaly(string? reason = "checked") => new(reason);
    public static RecordInvoicePaid InvoicePaid(string? reason = "paid") => new(reason);
    public static FreezeGrant Freeze(string grantId, string? reason = "dispute") => new(grantId, reason);
    public static UnfreezeGrant Unfreeze(string grantId, string? reason = "dispute won") => new(grantId, reason);
}
