using System.Collections.Immutable;
using Ledger.Domain.Credits;
using Ledger.Domain.Plans;

namespace Ledger.Domain.Accounts;

/// <summary>
/// The account's write-side state: its credit blocks and open holds. Rebuilt from events alone by
/// <see cref="Evolve"/>; resolved reservations, usages and refunds live in their own records
/// (<see cref="Ledger.Domain.Reservations.ReservationRecord"/> ...) so the state stays small on long streams.
/// <see cref="PeriodAllowance"/> is the allowance level (full-period credits) the current period has granted up to;
/// <see cref="AllowanceWithheld"/>: the period began while the account was not active and payment has not restored it.
/// <see cref="ChainHead"/>: the hash of the last event of the stream (docs/adr/0045), kept by the store's projection from the
/// event's metadata; decisions never read it.
/// </summary>
public sealed record Account(
    string Id,
    string Plan,
    string? StripeCustomerId,
    IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset OpenedAt,
    ImmutableDictionary<string, CreditBlock> Blocks,
    ImmutableDictionary<string, PendingHold> Holds,
    long Version = 0,
    AccountStatus Status = AccountStatus.Active,
    DateTimeOffset? GraceEndsAt = null,
    bool SpendingFrozen = false,
    DateTimeOffset? AnomalyFlaggedAt = null,
    BillingPeriod? Period = null,
    long PeriodConsumed = 0,
    ImmutableList<MinuteUsage>? RecentUsage = null,
    long PeriodAllowance = 0,
    bool AllowanceWithheld = false,
    ImmutableHashSet<string>? ActiveAlerts = null,
    long? LowBalanceThreshold = null,
    string? ChainHead = null)
{
    /// <summary>Credits consumed (net of refunds) in the hour before <paramref name="now"/>.</summary>
    public long ConsumedInHourBefore(DateTimeOffset now) =>
        (RecentUsage ?? []).Where(u => u.Minute > now.AddHours(-1) && u.Minute <= now).Sum(u => u.Credits);

    /// <summary>Counts consumption (negative: a refund) in the velocity hour and, if <paramref name="inPeriod"/>, in the period's quota.</summary>
    private Account Consumed(long amount, DateTimeOffset at, bool inPeriod = true)
    {
        var minute = new DateTimeOffset(at.UtcDateTime.Ticks - at.UtcDateTime.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var usage = (RecentUsage ?? []).RemoveAll(u => u.Minute <= minute.AddHours(-1));
        var index = usage.FindIndex(u => u.Minute == minute);
        usage = index >= 0 ? usage.SetItem(index, usage[index] with { Credits = usage[index].Credits + amount }) : usage.Add(new MinuteUsage(minute, amount));
        return this with { PeriodConsumed = PeriodConsumed + (inPeriod ? amount : 0), RecentUsage = usage };
    }

    public static Account Open(AccountOpened e) => new(
        e.AccountId, e.Plan, e.StripeCustomerId, e.Metadata, e.OpenedAt,
        ImmutableDictionary<string, CreditBlock>.Empty, ImmutableDictionary<string, PendingHold>.Empty);

    public static Account? Evolve(Account? state, object @event) => (state, @event) switch
    {
        (null, AccountOpened e) => Open(e),
        (null, _) => null,
        (_, AccountOpened) => state,
        ({ } s, CreditsGranted e) => s with
        {
            Blocks = s.Blocks.SetItem(e.GrantId, new CreditBlock(
                e.GrantId, e.Amount, e.Source, e.Priority, e.GrantedAt, e.EffectiveAt, e.ExpiresAt, e.CostBasis, e.Reference, e.Reason)),
            PeriodAllowance = e.AllowanceLevel ?? s.PeriodAllowance,
            AllowanceWithheld = e.AllowanceLevel is null && s.AllowanceWithheld,
        },
        ({ } s, GrantVoided e) => s.Update(e.GrantId, b => b with { IsVoided = true, Voided = b.Voided + e.Amount }),
        ({ } s, PurchasePartlyRefunded e) => s.Update(e.GrantId, b => b with
        {
            Voided = b.Voided + e.Voided, MoneyRefundedMinor = e.RefundedMinor, RefundOwed = b.RefundOwed + e.Held + e.NotRecovered,
        }),
        ({ } s, RefundedCreditsReclaimed e) => s.Update(e.GrantId, b => b with { Voided = b.Voided + e.Amount, RefundOwed = b.RefundOwed - e.Amount }),
        ({ } s, OverageRepaymentReturned e) => s
            .Update(e.GrantId, b => b with { RepaidOverage = b.RepaidOverage - e.Amount })
            .Update(CreditBlock.OverageId, b => b with { OverageRepayments = b.OverageRepayments - e.Amount }),
        ({ } s, GrantExpired e) => s.Update(e.GrantId, b => b with { Expired = b.Expired + e.Amount }),
        ({ } s, OverageRepaid e) => s
            .Update(e.GrantId, b => b with { RepaidOverage = b.RepaidOverage + e.Amount })
            .Update(CreditBlock.OverageId, b => b with { OverageRepayments = b.OverageRepayments + e.Amount }),
        ({ } s, OverageSettled e) => s.Update(CreditBlock.OverageId, b => b with { Amount = b.Amount + e.Amount }),
        ({ } s, CreditsReserved e) => s.Move(e.Draws, (b, a) => b with { Held = b.Held + a }, e.ReservedAt) with
        {
            Holds = s.Holds.SetItem(e.ReservationId, new PendingHold(
                e.ReservationId, e.Amount, e.Draws, e.Feature, e.TtlSeconds, e.ExpiresAt, e.Metadata, e.ReservedAt)),
        },
        ({ } s, ReservationCommitted e) => s.CloseHold(e.ReservationId)
            .Move(e.Consumed, (b, a) => b with { Consumed = b.Consumed + a }, e.CommittedAt)
            .Consumed(e.Amount, e.CommittedAt),
        ({ } s, ReservationReleased e) => s.CloseHold(e.ReservationId),
        ({ } s, ReservationExpired e) => s.CloseHold(e.ReservationId),
        ({ } s, ReservationExtended e) => s.Holds.TryGetValue(e.ReservationId, out var hold)
            ? s with { Holds = s.Holds.SetItem(e.ReservationId, hold with { TtlSeconds = e.TtlSeconds, ExpiresAt = e.ExpiresAt }) }
            : s,
        ({ } s, UsageRecorded e) => s.Move(e.Draws, (b, a) => b with { Consumed = b.Consumed + a }, e.RecordedAt)
            .Consumed(e.Amount, e.RecordedAt),
        ({ } s, CreditsRefunded e) => s.Move(e.Draws, (b, a) => b with { Refunded = b.Refunded + a }, e.RefundedAt)
            // a refund of an earlier period's consumption leaves this period's quota alone
            .Consumed(-e.Amount, e.RefundedAt, inPeriod: e.ConsumedAt is not { } consumedAt || s.Period is not { } period || consumedAt >= period.Start),
        ({ } s, PeriodStarted e) => s with
        {
            Period = new BillingPeriod(e.PeriodStart, e.PeriodEnd), PeriodConsumed = 0,
            PeriodAllowance = 0, AllowanceWithheld = s.Status != AccountStatus.Active,
        },
        ({ } s, PlanChanged e) => s with { Plan = e.ToPlan },
        ({ } s, GraceStarted e) => s with { Status = AccountStatus.Grace, GraceEndsAt = e.GraceEndsAt },
        ({ } s, GraceEnded) => s with { Status = AccountStatus.Active, GraceEndsAt = null, AllowanceWithheld = false },
        ({ } s, AccountSuspended) => s with { Status = AccountStatus.Suspended, GraceEndsAt = null },
        ({ } s, AccountRestored) => s with { Status = AccountStatus.Active, GraceEndsAt = null, AllowanceWithheld = false },
        ({ } s, UsageAnomalyFlagged e) => s with { AnomalyFlaggedAt = e.FlaggedAt, SpendingFrozen = s.SpendingFrozen || e.Frozen },
        ({ } s, UsageAnomalyCleared) => s with { AnomalyFlaggedAt = null, SpendingFrozen = false },
        ({ } s, GrantFrozen e) => s.Update(e.GrantId, b => b with { IsFrozen = true }),
        ({ } s, GrantUnfrozen e) => s.Update(e.GrantId, b => b with { IsFrozen = false }),
        ({ } s, OperatorAlertRaised e) => s with { ActiveAlerts = (s.ActiveAlerts ?? []).Add(e.Kind) },
        ({ } s, OperatorAlertCleared e) => s with { ActiveAlerts = (s.ActiveAlerts ?? []).Remove(e.Kind) },
        ({ } s, LowBalanceThresholdSet e) => s with { LowBalanceThreshold = e.Threshold },
        _ => state,
    };

    public static Account? Replay(IEnumerable<object> events, Account? from = null) =>
        events.Aggregate(from, Evolve);

    public Account Then(IEnumerable<object> events) => Replay(events, this)!;

    private Account CloseHold(string reservationId)
    {
        if (!Holds.TryGetValue(reservationId, out var hold)) return this;
        return Move(hold.Draws, (b, a) => b with { Held = b.Held - a }, hold.ReservedAt) with
        {
            Holds = Holds.Remove(reservationId),
        };
    }

    private Account Move(IEnumerable<Draw> draws, Func<CreditBlock, long, CreditBlock> change, DateTimeOffset at)
    {
        var blocks = Blocks;
        foreach (var draw in draws)
        {
            var block = blocks.TryGetValue(draw.GrantId, out var b) ? b
                : draw.GrantId == CreditBlock.OverageId ? CreditBlock.NewOverage(at)
                : throw new LedgerInvariantViolated($"draw on unknown block {draw.GrantId}");
            blocks = blocks.SetItem(draw.GrantId, change(block, draw.Amount));
        }
        return this with { Blocks = blocks };
    }

    private Account Update(string grantId, Func<CreditBlock, CreditBlock> change)
    {
        var block = Blocks.TryGetValue(grantId, out var b) ? b
            : grantId == CreditBlock.OverageId ? CreditBlock.NewOverage(OpenedAt)
            : throw new LedgerInvariantViolated($"event on unknown block {grantId}");
        return this with { Blocks = Blocks.SetItem(grantId, change(block)) };
    }
}

/// <summary>Credits consumed in one minute, for the velocity alarm's rolling hour.</summary>
public sealed record MinuteUsage(DateTimeOffset Minute, long Credits);

/// <summary>Thrown only when the ledger's own arithmetic is broken: a bug, never a client's doing.</summary>
public sealed class LedgerInvariantViolated(string message) : Exception(message);
