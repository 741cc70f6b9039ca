using Ledger.Domain.Credits;

namespace Ledger.Domain.Accounts;

/// <summary>
/// What the passing of time alone writes: holds past their ttl expire, dead blocks give up what
/// is left unheld in them, and fresh credits pay back overage. Reads apply the same events
/// virtually, so a timer that writes them later changes nothing a reader already saw.
/// </summary>
public static class CatchUp
{
    /// <summary>
    /// Replays time up to <paramref name="now"/> instant by instant, in order, so the events are those
    /// the durable timers would have written had each run on time: a late timer changes nothing.
    /// </summary>
    public static IReadOnlyList<object> To(Account account, DateTimeOffset now)
    {
        var events = new List<object>();
        var state = account;
        foreach (var instant in Instants(account, now))
        {
            var expiredHolds = state.Holds.Values
                .Where(h => h.HasExpiredAt(instant))
                .OrderBy(h => h.ExpiresAt).ThenBy(h => h.ReservationId, StringComparer.Ordinal)
                .Select(h => (object)new ReservationExpired(account.Id, h.ReservationId, h.Draws, h.ExpiresAt))
                .ToList();
            state = state.Then(expiredHolds);
            var settled = Settle(state, instant);
            state = state.Then(settled);
            events.AddRange(expiredHolds);
            events.AddRange(settled);
        }
        events.AddRange(Settle(state, now));
        return events;
    }

    /// <summary>
    /// The instants up to <paramref name="now"/> at which time alone may change something: open holds
    /// reaching their ttl, blocks with credits in them expiring, and (while overage is owed) blocks taking effect.
    /// </summary>
    private static IEnumerable<DateTimeOffset> Instants(Account account, DateTimeOffset now)
    {
        var owes = account.Blocks.TryGetValue(CreditBlock.OverageId, out var overage) && overage.Debt > 0;
        return account.Holds.Values.Select(h => h.ExpiresAt)
            .Concat(account.Blocks.Values
                .Where(b => !b.IsOverage && !b.IsVoided && b.Remaining > 0)
                .SelectMany(b => new[] { b.ExpiresAt, owes ? b.EffectiveAt : null })
                .OfType<DateTimeOffset>())
            .Where(t => t <= now)
            .Distinct()
            .Order();
    }

    /// <summary>Retires what dead blocks hold unheld, then repays overage from live blocks in drain order.</summary>
    public static IReadOnlyList<object> Settle(Account account, DateTimeOffset now)
    {
        var retired = account.Blocks.Values
            .Where(b => !b.IsOverage && b.IsDeadAt(now) && b.Unheld > 0)
            .OrderBy(b => b.GrantId, StringComparer.Ordinal)
            .Select(b => b.IsVoided
                ? (object)new GrantVoided(account.Id, b.GrantId, b.Unheld, "held credits released after the void", now)
                : new GrantExpired(account.Id, b.GrantId, b.Unheld, now))
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
