using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Reservations;

public enum ReservationStatus { Pending, Committed, Released, Expired }

/// <summary>Everything known about one reservation, kept after it resolves (idempotent replays, refunds, audit).</summary>
public sealed record ReservationRecord(
    string AccountId, string ReservationId, ReservationStatus Status, long Amount, IReadOnlyList<Draw> Held,
    string? Feature, int TtlSeconds, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string>? Metadata,
    DateTimeOffset ReservedAt,
    long? RequestedCommitAmount = null, long Committed = 0, IReadOnlyList<Draw>? Consumed = null,
    IReadOnlyList<Draw>? Released = null, string? ReceiptId = null, IReadOnlyDictionary<string, string>? CommitMetadata = null,
    string? ReleaseReason = null, DateTimeOffset? ResolvedAt = null, long Refunded = 0, IReadOnlyList<Draw>? RefundedDraws = null,
    int? RequestedTtlSeconds = null)
{
    public string Id => RecordKeys.For(AccountId, ReservationId);

    public long ReleasedAmount => Released?.Total() ?? 0;

    /// <summary>Commit minus hold: positive when the real cost exceeded the estimate.</summary>
    public long Variance => Status == ReservationStatus.Committed ? Committed - Amount : 0;

    public static ReservationRecord? Evolve(ReservationRecord? record, object @event) => (record, @event) switch
    {
        (_, CreditsReserved e) => record ?? new ReservationRecord(
            e.AccountId, e.ReservationId, ReservationStatus.Pending, e.Amount, e.Draws, e.Feature, e.TtlSeconds,
            e.ExpiresAt, e.Metadata, e.ReservedAt, RequestedTtlSeconds: e.TtlSeconds),
        ({ } r, ReservationCommitted e) => r with
        {
            Status = ReservationStatus.Committed, RequestedCommitAmount = e.RequestedAmount, Committed = e.Amount,
            Consumed = e.Consumed, Released = e.Released, ReceiptId = e.ReceiptId, CommitMetadata = e.Metadata,
            ResolvedAt = e.CommittedAt,
        },
        ({ } r, ReservationReleased e) => r with
        {
            Status = ReservationStatus.Released, Released = e.Released, ReleaseReason = e.Reason, ResolvedAt = e.ReleasedAt,
        },
        ({ } r, ReservationExpired e) => r with
        {
            Status = ReservationStatus.Expired, Released = e.Released, ResolvedAt = e.ExpiredAt,
        },
        ({ } r, ReservationExtended e) => r with { TtlSeconds = e.TtlSeconds, ExpiresAt = e.ExpiresAt },
        ({ } r, CreditsRefunded { SourceKind: RefundSourceKind.Reservation } e) => r with
        {
            Refunded = r.Refunded + e.Amount, RefundedDraws = (r.RefundedDraws ?? []).Concat(e.Draws).Merge(),
        },
        _ => record,
    };
}

public static class RecordKeys
{
    /// <summary>Records of different accounts may share a caller-chosen id; the document key is scoped to the account.</summary>
    public static string For(string accountId, string id) => $"{accountId}/{id}";
}
