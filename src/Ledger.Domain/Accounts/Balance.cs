namespace Ledger.Domain.Accounts;

/// <summary>
/// An account's balance at one instant. Sums run over blocks already effective; credits granted
/// for later are shown as <see cref="Upcoming"/>. Invariant:
/// <c>Available + Reserved + Frozen = Granted - Consumed - Expired - Voided + Refunded</c>, where
/// <see cref="Frozen"/> (unheld credits of blocks under a card dispute) is zero unless a dispute is open.
/// </summary>
public sealed record Balance(
    long Granted, long Consumed, long Expired, long Voided, long Refunded,
    long Reserved, long Available, long Overage, long Upcoming, long Frozen = 0)
{
    /// <summary>The balance as time alone leaves it at <paramref name="now"/>: expired holds and blocks are already out.</summary>
    public static Balance Of(Account account, DateTimeOffset now) => Sum(account.Then(CatchUp.To(account, now)), now);

    /// <summary>Sums the blocks as they stand, with no catch-up.</summary>
    public static Balance Sum(Account account, DateTimeOffset now)
    {
        long granted = 0, consumed = 0, expired = 0, voided = 0, refunded = 0, reserved = 0, available = 0, overage = 0, upcoming = 0, frozen = 0;
        foreach (var block in account.Blocks.Values)
        {
            if (!block.IsEffectiveAt(now))
            {
                upcoming += block.Remaining; // a void before it takes effect leaves nothing to come
                continue;
            }
            granted += block.Amount;
            consumed += block.Consumed;
            expired += block.Expired;
            voided += block.Voided;
            refunded += block.Refunded;
            reserved += block.Held;
            if (block.IsFrozen) frozen += block.Unheld;
            else available += block.Unheld;
            overage += block.Debt;
        }
        return new Balance(granted, consumed, expired, voided, refunded, reserved, available, overage, upcoming, frozen);
    }

    public bool IsConsistent => Available + Reserved + Frozen == Granted - Consumed - Expired - Voided + Refunded;
}
