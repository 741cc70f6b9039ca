using Ledger.Domain.Credits;

namespace Ledger.Domain.Accounts;

/// <summary>An open reservation: credits earmarked in specific blocks until it is committed, released or expires.</summary>
public sealed record PendingHold(
    string ReservationId, long Amount, IReadOnlyList<Draw> Draws, string? Feature, int TtlSeconds,
    DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string>? Metadata, DateTimeOffset ReservedAt)
{
    public bool HasExpiredAt(DateTimeOffset now) => ExpiresAt <= now;
}
