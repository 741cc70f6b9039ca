using Ledger.Domain.Credits;

namespace Ledger.Domain.Accounts;

/// <summary>Checks the ledger's arithmetic after every decision; a failure is a bug in Ledger, never a client's doing.</summary>
public static class Invariants
{
    public static void Check(Account account, DateTimeOffset now)
    {
        foreach (var b in account.Blocks.Values)
        {
            Require(b.Held >= 0 && b.Consumed >= 0 && b.Expired >= 0 && b.Voided >= 0 && b.Refunded >= 0
                    && b.RepaidOverage >= 0 && b.OverageRepayments >= 0 && b.RefundOwed >= 0,
                $"block {b.GrantId} has a negative movement");
            if (b.IsOverage)
            {
                Require(b.Unheld <= 0 || b.OverageRepayments == 0, $"overage credits {b.Unheld} were not returned to the blocks that repaid them");
                continue;
            }
            Require(b.RefundOwed == 0 || b.Unheld <= 0, $"block {b.GrantId} lends {b.Unheld} credits a refund still claims ({b.RefundOwed})");
            Require(b.Remaining >= 0, $"block {b.GrantId} is overdrawn ({b.Remaining})");
            Require(b.Held <= b.Remaining, $"block {b.GrantId} holds {b.Held} of {b.Remaining}");
            Require(b.Refunded <= b.Consumed, $"block {b.GrantId} got back more than it gave");
            Require(!b.IsDeadAt(now) || b.Unheld == 0, $"dead block {b.GrantId} still lends {b.Unheld}");
            Require(b.IsEffectiveAt(now) || b.Amount == b.Remaining + b.Voided, $"block {b.GrantId} was used before it took effect");
        }
        var held = account.Blocks.Values.Sum(b => b.Held);
        var holds = account.Holds.Values.Sum(h => h.Draws.Total());
        Require(held == holds, $"blocks hold {held} but open reservations hold {holds}");
        Require(account.Holds.Values.All(h => h.Draws.Total() == h.Amount && h.Draws.All(d => d.Amount > 0)),
            "a hold's draws do not add up to its amount");
        var balance = Balance.Sum(account, now);
        Require(balance.IsConsistent, $"balance equation broken: {balance}");
        Require(balance.Reserved >= 0, "reserved is negative");
    }

    private static void Require(bool condition, string what)
    {
        if (!condition) throw new LedgerInvariantViolated(what);
    }
}
