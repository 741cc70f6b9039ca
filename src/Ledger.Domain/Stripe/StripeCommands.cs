using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;

namespace Ledger.Domain.Stripe;

/// <summary>
/// A purchase was refunded in full (or a card dispute on it was lost): what is left of its block is voided, after
/// unfreezing it if a dispute froze it. Credits already spent stay spent; held credits are voided when released.
/// A block already void is a replay (a refund and a lost dispute on the same payment void once).
/// </summary>
public sealed record VoidPurchase(string GrantId, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        if (block.IsVoided) return Decision.Replay;
        var events = new List<object>();
        if (block.IsFrozen) events.Add(new GrantUnfrozen(account.Id, GrantId, Reason, context.Now));
        events.Add(new GrantVoided(account.Id, GrantId, Math.Max(0, block.Unheld), Reason, context.Now));
        return new Decision.Accepted(events);
    }
}

/// <summary>
/// A purchase was refunded, in part or in full. The payment processor reports the refunded total so far, so the
/// command carries it: the credits owed back are the same share of the block as of the money (rounded down, the
/// customer keeps a fraction of a credit), less what earlier refunds claimed. What is left unheld is taken now; what
/// open holds hold is taken back as they release it; what was already spent stays spent (and is taken back if a
/// refund of usage returns credits to the block). Refunding the whole charge voids the block
/// (<see cref="VoidPurchase"/>). A total no larger than one already applied is a replay: deliveries come out of order.
/// </summary>
public sealed record RefundPurchase(string GrantId, long RefundedMinor, long ChargedMinor, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (ChargedMinor <= 0) return Decision.Reject(Rejection.Invalid("chargedMinor", "The charge must be positive."));
        if (RefundedMinor <= 0) return Decision.Reject(Rejection.Invalid("refundedMinor", "The refund must be positive."));
        if (RefundedMinor >= ChargedMinor) return new VoidPurchase(GrantId, Reason).Decide(account, known, context);
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        if (block.IsVoided || RefundedMinor <= block.MoneyRefundedMinor) return Decision.Replay;

        var share = (long)((Int128)block.Amount * RefundedMinor / ChargedMinor);
        var owed = Math.Max(0, share - block.Voided - block.RefundOwed);
        var taken = Math.Min(owed, Math.Max(0, block.Unheld));
        var held = Math.Min(owed - taken, block.Held);
        return Decision.Accept(new PurchasePartlyRefunded(
            account.Id, GrantId, RefundedMinor, ChargedMinor, taken, owed - taken - held, Reason, context.Now, held));
    }
}

/// <summary>A card dispute closed: won unfreezes the block; lost voids what is left of it (<see cref="VoidPurchase"/>).</summary>
public sealed record SettleDispute(string GrantId, bool Won, string? Reason) : IAccountCommand
{
    public Decision Decide(Account? account, AccountRecords known, DecisionContext context)
    {
        if (!Won) return new VoidPurchase(GrantId, Reason).Decide(account, known, context);
        if (account is null) return Decision.Reject(Rejection.AccountNotFound("?"));
        if (!account.Blocks.TryGetValue(GrantId, out var block) || block.IsOverage)
            return Decision.Reject(new Rejection(RejectionCodes.GrantNotFound, $"Grant '{GrantId}' does not exist."));
        return block.IsFrozen ? Decision.Accept(new GrantUnfrozen(account.Id, GrantId, Reason, context.Now)) : Decision.Replay;
    }
}

/// <summary>What happened to a purchased block, for the note a refund leaves: how much was spent before it.</summary>
public static class PurchaseUse
{
    public static (long Spent, long Held, long Voided) Of(CreditBlock block) =>
        (block.Consumed - block.Refunded + block.RepaidOverage, block.Held, block.Voided);
}
