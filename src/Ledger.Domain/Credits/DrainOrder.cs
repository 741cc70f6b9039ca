namespace Ledger.Domain.Credits;

/// <summary>
/// Which credits are spent first: lower priority, then soonest expiry (never-expiring last),
/// then oldest grant, then grant id, so the order is total and the same on every replay.
/// </summary>
public static class DrainOrder
{
    public static IEnumerable<CreditBlock> Sort(IEnumerable<CreditBlock> blocks) =>
        blocks.OrderBy(b => b.Priority)
            .ThenBy(b => b.ExpiresAt ?? DateTimeOffset.MaxValue)
            .ThenBy(b => b.GrantedAt)
            .ThenBy(b => b.GrantId, StringComparer.Ordinal);

    /// <summary>
    /// Picks draws worth <paramref name="amount"/> from the spendable blocks; the shortfall goes to
    /// the overage block when <paramref name="allowOverage"/>, otherwise null means "not enough".
    /// </summary>
    public static IReadOnlyList<Draw>? Take(IEnumerable<CreditBlock> blocks, long amount, DateTimeOffset now, bool allowOverage)
    {
        var draws = new List<Draw>();
        var remaining = amount;
        foreach (var block in Sort(blocks.Where(b => b.IsSpendableAt(now))))
        {
            if (remaining == 0) break;
            var take = Math.Min(remaining, block.Unheld);
            draws.Add(new Draw(block.GrantId, take));
            remaining -= take;
        }
        if (remaining == 0) return draws;
        if (!allowOverage) return null;
        draws.Add(new Draw(CreditBlock.OverageId, remaining));
        // The overage block may itself have lent credits refunded into it: one draw per block.
        return draws.Merge();
    }
}
