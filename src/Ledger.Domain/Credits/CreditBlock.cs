namespace Ledger.Domain.Credits;

public enum GrantSource { Plan, Purchase, Promo, Manual }

public sealed record CostBasis(long AmountMinor, string Currency);

/// <summary>
/// One grant's credits. Every movement is kept as a lifetime sum so the block can say where its
/// credits went; <see cref="Remaining"/> is what is still in it (held or not). <see cref="RefundOwed"/>: credits a
/// partial refund of the purchase claims back but could not take yet (held or spent); they are taken as they come free.
/// </summary>
public sealed record CreditBlock(
    string GrantId,
    long Amount,
    GrantSource Source,
    int Priority,
    DateTimeOffset GrantedAt,
    DateTimeOffset? EffectiveAt,
    DateTimeOffset? ExpiresAt,
    CostBasis? CostBasis,
    string? Reference,
    string? Reason = null,
    long Consumed = 0,
    long Refunded = 0,
    long Expired = 0,
    long Voided = 0,
    long RepaidOverage = 0,
    long OverageRepayments = 0,
    long Held = 0,
    bool IsVoided = false,
    bool IsFrozen = false,
    long MoneyRefundedMinor = 0,
    long RefundOwed = 0)
{
    /// <summary>The block that absorbs consumption beyond all credits on plans that bill overage; it can go negative.</summary>
    public const string OverageId = "~overage";

    public bool IsOverage => GrantId == OverageId;

    public long Remaining => Amount - Consumed + Refunded - Expired - Voided - RepaidOverage + OverageRepayments;

    /// <summary>Consumed overage not yet paid back (only the overage block has any).</summary>
    public long Debt => IsOverage ? Math.Max(0, -Remaining) : 0;

    public long Unheld => Remaining - Held;

    public bool IsEffectiveAt(DateTimeOffset now) => EffectiveAt is null || EffectiveAt <= now;

    public bool HasExpiredAt(DateTimeOffset now) => ExpiresAt is not null && ExpiresAt <= now;

    /// <summary>Dead blocks never lend credits again; what is returned to them is expired or voided at once.</summary>
    public bool IsDeadAt(DateTimeOffset now) => IsVoided || HasExpiredAt(now);

    public bool IsSpendableAt(DateTimeOffset now) => IsEffectiveAt(now) && !IsDeadAt(now) && !IsFrozen && Unheld > 0;

    public static CreditBlock NewOverage(DateTimeOffset at) =>
        new(OverageId, 0, GrantSource.Manual, int.MaxValue, at, null, null, null, null, "overage");

    public static int DefaultPriority(GrantSource source) => source switch
    {
        GrantSource.Promo => 10,
        GrantSource.Plan => 20,
        GrantSource.Manual => 40,
        GrantSource.Purchase => 50,
        _ => 50,
    };
}
