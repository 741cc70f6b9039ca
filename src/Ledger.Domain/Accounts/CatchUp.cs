using Ledger.Domain.Credits;

namespace Ledger.Domain.Accounts;

/// <summary>
/// What the passing of time alone writes: holds past their ttl expire, dead blocks give up what
/// is left unheld in them, and fresh credits pay back overage. Reads apply the same events
/// virtually, so a timer that writes them later changes nothing a reader already saw.
/// </summary>
public static class CatchUp
{
    public static IReadOnlyList<object> To(Account account, DateTimeOffset now)
    {
        var expiredHolds = account.Holds.Values
            .Where(h => h.HasExpiredAt(now))
            .OrderBy(h => h.ExpiresAt).ThenBy(h => h.ReservationId, StringComparer.Ordinal)
            .Select(h => (object)new ReservationExpired(account.Id, h.ReservationId, h.Draws, h.ExpiresAt))
            .ToList();
        return [.. expiredHolds, .. Settle(account.Then(expiredHolds), now)];
    }

    /// <summary>Retires what dead blocks hold unheld, then repays overage from live blocks in drain order.</summary>
    public static IReadOnlyList<object> Settle(Account account, DateTimeOffset now)
    {
        var retired = account.Blocks.Values
            .Where(b => !b.IsOverage && b.IsDeadAt(now) && b.Unheld > 0)
            .OrderBy(b => b.GrantId, StringComparer.Ordinal)
            .Select(b => b.IsVoided
                ? (object)new GrantVoided(account.Id, b.GrantId, b.Unheld, "held credits released after the void", now)
                : new GrantExpired(account.Id, b.GrantId, b.Unheld, b.Expired == 0 ? b.ExpiresAt!.Value : now))
            .ToList();
        var state = account.Then(retired);
        if (!state.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) || overage.Debt == 0)
            return retired;

        var debt = overage.Debt;
        var repaid = new List<object>();
        foreach (var block in DrainOrder.Sort(state.Blocks.Values.Where(b => !b.IsOverage && b.IsSpendableAt(now))))
        {
            if (debt == 0) break;
            var amount = Math.Min(debt, block.Unheld);
            repaid.Add(new OverageRepaid(account.Id, block.GrantId, amount, now));
            debt -= amount;
        }
        return [.. retired, .. repaid];
    }
}
