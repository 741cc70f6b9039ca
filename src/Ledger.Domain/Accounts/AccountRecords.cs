using System.Collections.Immutable;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;

namespace Ledger.Domain.Accounts;

/// <summary>
/// The reservation, usage and refund records a decision may need, keyed by their caller-facing id.
/// The host loads the ones a batch names; the simulation keeps them all.
/// </summary>
public sealed record AccountRecords(
    ImmutableDictionary<string, ReservationRecord> Reservations,
    ImmutableDictionary<string, UsageRecord> Usages,
    ImmutableDictionary<string, RefundRecord> Refunds)
{
    public static readonly AccountRecords Empty = new(
        ImmutableDictionary<string, ReservationRecord>.Empty,
        ImmutableDictionary<string, UsageRecord>.Empty,
        ImmutableDictionary<string, RefundRecord>.Empty);

    public ReservationRecord? Reservation(string id) => Reservations.GetValueOrDefault(id);
    public UsageRecord? Usage(string id) => Usages.GetValueOrDefault(id);
    public RefundRecord? Refund(string id) => Refunds.GetValueOrDefault(id);

    public AccountRecords Then(IEnumerable<object> events) => events.Aggregate(this, (records, e) => records.Evolve(e));

    public AccountRecords Evolve(object @event)
    {
        var (reservationId, usageId, refundId) = Touches(@event);
        var records = this;
        if (reservationId is not null && ReservationRecord.Evolve(Reservation(reservationId), @event) is { } r)
            records = records with { Reservations = records.Reservations.SetItem(reservationId, r) };
        if (usageId is not null && UsageRecord.Evolve(Usage(usageId), @event) is { } u)
            records = records with { Usages = records.Usages.SetItem(usageId, u) };
        if (refundId is not null && RefundRecord.Evolve(Refund(refundId), @event) is { } f)
            records = records with { Refunds = records.Refunds.SetItem(refundId, f) };
        return records;
    }

    /// <summary>The records a command reads or writes, by id: the host loads these before deciding it.</summary>
    public static (string? Reservation, string? Usage, string? Refund) NamedBy(IAccountCommand command) =>
        Subject.Of(command) is var s ? (s.Reservation, s.Usage, s.Refund) : default;

    /// <summary>Only the records a command names (what an answer to it shows).</summary>
    public AccountRecords Only(IAccountCommand command)
    {
        var (reservation, usage, refund) = NamedBy(command);
        return new AccountRecords(
            Only(Reservations, reservation), Only(Usages, usage), Only(Refunds, refund));

        static ImmutableDictionary<string, T> Only<T>(ImmutableDictionary<string, T> all, string? id) =>
            id is not null && all.TryGetValue(id, out var record) ? ImmutableDictionary<string, T>.Empty.Add(id, record) : ImmutableDictionary<string, T>.Empty;
    }

    /// <summary>Which records an event changes: the host loads these before applying it.</summary>
    public static (string? Reservation, string? Usage, string? Refund) Touches(object @event) => @event switch
    {
        CreditsReserved e => (e.ReservationId, null, null),
        ReservationCommitted e => (e.ReservationId, null, null),
        ReservationReleased e => (e.ReservationId, null, null),
        ReservationExpired e => (e.ReservationId, null, null),
        ReservationExtended e => (e.ReservationId, null, null),
        UsageRecorded e => (null, e.UsageId, null),
        CreditsRefunded { SourceKind: RefundSourceKind.Reservation } e => (e.SourceId, null, e.RefundId),
        CreditsRefunded { SourceKind: RefundSourceKind.Usage } e => (null, e.SourceId, e.RefundId),
        _ => (null, null, null),
    };
}
