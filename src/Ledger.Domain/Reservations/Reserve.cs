using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Reservations;

/// <summary>Holds credits for an operation about to run: all of them or none.</summary>
public sealed record Reserve(
    string ReservationId, long Amount, int TtlSeconds, string? Feature, IReadOnlyDictionary<string, string>? Metadata) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (known.Reservation(ReservationId) is { } existing) return Compare(existing);
        if (Amount is <= 0 or > Limits.MaxAmount)
            return Decision.Reject(Rejection.Invalid("amount", $"Amount must be between 1 and {Limits.MaxAmount}."));
        if (TtlSeconds is < Limits.MinTtlSeconds or > Limits.MaxTtlSeconds)
            return Decision.Reject(Rejection.Invalid("ttlSeconds", $"ttlSeconds must be between {Limits.MinTtlSeconds} and {Limits.MaxTtlSeconds}."));

        if (Entitlements.Features.SpendingRefusal(account, context.Plan, Feature, Amount) is { } refusal)
            return Decision.Reject(refusal);

        var draws = DrainOrder.Take(account.Blocks.Values, Amount, context.Now, context.AllowOverage);
        if (draws is null) return Decision.Reject(Funds.Insufficient(account, context.Now, Amount));
        return Decision.Accept(new CreditsReserved(account.Id, ReservationId, Amount, draws, Feature, TtlSeconds,
            context.Now.AddSeconds(TtlSeconds), Metadata, context.Now));
    }

    private Decision Compare(ReservationRecord existing)
    {
        var fields = Same.Differing(
            ("amount", existing.Amount == Amount), ("ttlSeconds", (existing.RequestedTtlSeconds ?? existing.TtlSeconds) == TtlSeconds),
            ("feature", existing.Feature == Feature), ("metadata", Same.Metadata(existing.Metadata, Metadata)));
        return fields.Count == 0 ? Decision.Replay : Decision.Reject(Rejection.IdConflict("Reservation", ReservationId, fields));
    }
}

public static class Funds
{
    public static Rejection Insufficient(Account account, DateTimeOffset now, long requested, long held = 0)
    {
        var available = Balance.Sum(account, now).Available;
        var extensions = new Dictionary<string, object?> { ["available"] = available, ["requested"] = requested };
        if (held > 0) extensions["held"] = held;
        return new Rejection(RejectionCodes.InsufficientCredits,
            $"{requested} credits requested{(held > 0 ? $" beyond the {held} held" : "")}, {available} available.", extensions);
    }

    public static Rejection NotPending(ReservationRecord record) => record.Status switch
    {
        ReservationStatus.Committed => new Rejection(RejectionCodes.ReservationCommitted,
            $"Reservation '{record.ReservationId}' was already committed ({record.Committed} credits).", StateOf(record)),
        ReservationStatus.Released => new Rejection(RejectionCodes.ReservationReleased,
            $"Reservation '{record.ReservationId}' was already released.", StateOf(record)),
        _ => new Rejection(RejectionCodes.ReservationExpired,
            $"Reservation '{record.ReservationId}' expired at {record.ExpiresAt:O}.", StateOf(record)),
    };

    public static Rejection NotFound(string reservationId) =>
        new(RejectionCodes.ReservationNotFound, $"Reservation '{reservationId}' does not exist.");

    private static Dictionary<string, object?> StateOf(ReservationRecord record) =>
        new() { ["state"] = record.Status.ToString().ToLowerInvariant() };
}
