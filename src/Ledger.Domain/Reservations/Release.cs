using Ledger.Domain.Accounts;

namespace Ledger.Domain.Reservations;

public sealed record Release(string ReservationId, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        var record = known.Reservation(ReservationId);
        if (record is null) return Decision.Reject(Funds.NotFound(ReservationId));
        if (record.Status == ReservationStatus.Released && record.ReleaseReason == Reason) return Decision.Replay;
        if (record.Status != ReservationStatus.Pending || !account.Holds.TryGetValue(ReservationId, out var hold))
            return Decision.Reject(Funds.NotPending(record));
        return Decision.Accept(new ReservationReleased(account.Id, ReservationId, hold.Draws, Reason, context.Now));
    }
}

/// <summary>Renews a pending hold so a long job keeps it; only holds of crashed callers expire.</summary>
public sealed record Extend(string ReservationId, int TtlSeconds) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        var record = known.Reservation(ReservationId);
        if (record is null) return Decision.Reject(Funds.NotFound(ReservationId));
        if (record.Status != ReservationStatus.Pending || !account.Holds.ContainsKey(ReservationId))
            return Decision.Reject(Funds.NotPending(record));
        if (TtlSeconds is < Limits.MinTtlSeconds or > Limits.MaxTtlSeconds)
            return Decision.Reject(Rejection.Invalid("ttlSeconds", $"ttlSeconds must be between {Limits.MinTtlSeconds} and {Limits.MaxTtlSeconds}."));
        return Decision.Accept(new ReservationExtended(account.Id, ReservationId, TtlSeconds, context.Now.AddSeconds(TtlSeconds), context.Now));
    }
}
