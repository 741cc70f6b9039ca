using JasperFx.Events;
using JasperFx.Events.Grouping;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Reservations;
using Marten;
using Marten.Events.Projections;

namespace Ledger.Projections.Metrics;

/// <summary>
/// Folds every account's events into one <see cref="LedgerDay"/> per UTC day. Async (DESIGN "Shape": cross-account views
/// are async; an inline multi-stream projection loses events under parallel load, marten#3488), so it can be rebuilt
/// from the events alone and gives the same figures (tests/Ledger.Api.Tests/Observability/AdminMetricsTests).
/// </summary>
public sealed class LedgerDayProjection : MultiStreamProjection<LedgerDay, string>
{
    public const string ProjectionName = "LedgerDay";

    public LedgerDayProjection()
    {
        Name = ProjectionName;
        Identity<AccountOpened>(e => LedgerDay.KeyOf(e.OpenedAt));
        Identity<CreditsGranted>(e => LedgerDay.KeyOf(e.GrantedAt));
        Identity<GrantExpired>(e => LedgerDay.KeyOf(e.ExpiredAt));
        Identity<GrantVoided>(e => LedgerDay.KeyOf(e.VoidedAt));
        Identity<PurchasePartlyRefunded>(e => LedgerDay.KeyOf(e.RefundedAt));
        Identity<RefundedCreditsReclaimed>(e => LedgerDay.KeyOf(e.ReclaimedAt));
        Identity<CreditsReserved>(e => LedgerDay.KeyOf(e.ReservedAt));
        Identity<ReservationCommitted>(e => LedgerDay.KeyOf(e.CommittedAt));
        Identity<ReservationReleased>(e => LedgerDay.KeyOf(e.ReleasedAt));
        Identity<ReservationExpired>(e => LedgerDay.KeyOf(e.ExpiredAt));
        Identity<UsageRecorded>(e => LedgerDay.KeyOf(e.RecordedAt));
        Identity<CreditsRefunded>(e => LedgerDay.KeyOf(e.RefundedAt));
    }

    /// <summary>
    /// Puts each commit's hold beside it (<see cref="CommitMeasured"/>), read from the reservation records the write path
    /// stores with the events (a record's hold never changes once reserved), one query per batch.
    /// </summary>
    public override async Task EnrichEventsAsync(SliceGroup<LedgerDay, string> group, IQuerySession querySession, CancellationToken cancellation)
    {
        var commits = group.Slices.SelectMany(slice => slice.Events().OfType<IEvent<ReservationCommitted>>().Select(e => (slice, e))).ToList();
        if (commits.Count == 0) return;
        var ids = commits.Select(c => RecordKeys.For(c.e.Data.AccountId, c.e.Data.ReservationId)).Distinct().ToArray();
        var records = (await querySession.LoadManyAsync<ReservationRecord>(cancellation, ids)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var (slice, e) in commits)
        {
            var held = records.TryGetValue(RecordKeys.For(e.Data.AccountId, e.Data.ReservationId), out var record)
                ? record.Amount
                : e.Data.Amount + e.Data.Released.Sum(d => d.Amount); // exact unless the commit drew beyond its hold
            slice.ReplaceEvent(e, new CommitMeasured(e.Data, held));
        }
    }

    public void Apply(LedgerDay day, AccountOpened e) => day.AccountsOpened++;

    public void Apply(LedgerDay day, CreditsGranted e)
    {
        day.Granted += e.Amount;
        if (e.Source == GrantSource.Purchase && e.CostBasis is { } basis)
        {
            var currency = basis.Currency.ToLowerInvariant();
            day.Revenue[currency] = day.Revenue.GetValueOrDefault(currency) + basis.AmountMinor;
        }
    }

    public void Apply(LedgerDay day, GrantExpired e) => day.Expired += e.Amount;
    public void Apply(LedgerDay day, GrantVoided e) => day.Voided += e.Amount;
    public void Apply(LedgerDay day, PurchasePartlyRefunded e) => day.Voided += e.Voided;
    public void Apply(LedgerDay day, RefundedCreditsReclaimed e) => day.Voided += e.Amount;
    public void Apply(LedgerDay day, CreditsReserved e) => day.ReservationsOpened++;

    public void Apply(LedgerDay day, CommitMeasured e)
    {
        day.ReservationsCommitted++;
        day.Consumed += e.Commit.Amount;
        day.Estimated += e.Held;
        day.Actual += e.Commit.Amount;
    }

    /// <summary>Only if enrichment did not run (it always does for async projections); the hold as the event shows it.</summary>
    public void Apply(LedgerDay day, ReservationCommitted e) =>
        Apply(day, new CommitMeasured(e, e.Amount + e.Released.Sum(d => d.Amount)));

    public void Apply(LedgerDay day, ReservationReleased e) => day.ReservationsReleased++;
    public void Apply(LedgerDay day, ReservationExpired e) => day.ReservationsExpired++;
    public void Apply(LedgerDay day, UsageRecorded e) => day.Consumed += e.Amount;
    public void Apply(LedgerDay day, CreditsRefunded e) => day.Refunded += e.Amount;
}
