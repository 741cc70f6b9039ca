using Ledger.Domain.Grants;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Stripe;
using Ledger.Domain.Usage;

namespace Ledger.Domain.Accounts;

/// <summary>What a command is about, by id: the reservation, usage, refund or grant it creates or changes.</summary>
public sealed record Subject(string? Reservation = null, string? Usage = null, string? Refund = null, string? Grant = null)
{
    public static readonly Subject None = new();

    public static Subject Of(IAccountCommand command) => command switch
    {
        Reserve c => new(Reservation: c.ReservationId),
        Commit c => new(Reservation: c.ReservationId),
        Release c => new(Reservation: c.ReservationId),
        Extend c => new(Reservation: c.ReservationId),
        RecordUsage c => new(Usage: c.UsageId),
        RefundCredits { SourceKind: RefundSourceKind.Reservation } c => new(Reservation: c.SourceId, Refund: c.RefundId),
        RefundCredits c => new(Usage: c.SourceId, Refund: c.RefundId),
        GrantCredits c => new(Grant: c.GrantId),
        VoidGrant c => new(Grant: c.GrantId),
        VoidPurchase c => new(Grant: c.GrantId),
        RefundPurchase c => new(Grant: c.GrantId),
        _ => None,
    };
}
