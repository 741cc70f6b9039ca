using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Ledger.Domain.Credits;
using Ledger.Domain.Entitlements;
using Ledger.Domain.Grants;
using Ledger.Domain.Plans;
using Ledger.Domain.Stripe;

namespace Ledger.Api.Stripe;

public enum StripeActionKind { Apply, Ignore, Fail }

/// <summary>
/// What a Stripe event asks of the ledger: a command for the account it names (found from
/// <see cref="AccountId"/>, the purchase <see cref="PaymentKey"/> or <see cref="CustomerId"/>), or nothing.
/// <see cref="OrderKey"/>: state-like events (invoice status, subscription, dispute phase) where only the newest
/// counts; <see cref="Provides"/>: the milestone later events may wait for.
/// </summary>
public sealed record StripeAction(
    StripeActionKind Kind,
    string? Detail,
    string? AccountId,
    string? CustomerId,
    string? PaymentKey,
    IAccountCommand? Command = null,
    string? OrderKey = null,
    int Rank = 0,
    string? Provides = null,
    StripeMoney? Money = null,
    bool PaymentFirst = false);

/// <summary>The mapping of DESIGN.md "Stripe", one event type at a time (docs/adr/0010-stripe-webhooks.md).</summary>
public sealed class StripeEventMapper(PlanCatalog plans, StripeOptions options)
{
    public const string AccountKey = "ledger_account_id";
    public const string PackKey = "ledger_pack";
    public const string PlanKey = "ledger_plan";

    public static string GrantIdFor(string paymentKey) => $"stripe:{paymentKey}";

    public StripeAction Map(StripeEventView e) => e.Type switch
    {
        "checkout.session.completed" => Checkout(e, asyncSuccess: false),
        "checkout.session.async_payment_succeeded" => Checkout(e, asyncSuccess: true),
        "checkout.session.async_payment_failed" => Ignore(e, "The delayed payment failed: no credits."),
        "checkout.session.expired" => Ignore(e, "The checkout session expired unpaid: no credits."),
        "invoice.paid" => Invoice(e, paid: true),
        "invoice.payment_failed" => Invoice(e, paid: false),
        "customer.subscription.created" or "customer.subscription.updated" => Subscription(e, deleted: false),
        "customer.subscription.deleted" => Subscription(e, deleted: true),
        "charge.refunded" => Refund(e),
        "charge.dispute.created" => DisputeOpened(e),
        "charge.dispute.closed" => DisputeClosed(e),
        _ => new StripeAction(StripeActionKind.Ignore, $"Event type '{e.Type}' has no effect on the ledger.", null, null, null),
    };

    private static StripeAction Ignore(StripeEventView e, string detail, string? accountId = null, string? customerId = null) =>
        new(StripeActionKind.Ignore, detail, accountId, customerId, null);

    private static StripeAction Fail(string detail, string? accountId, string? customerId) =>
        new(StripeActionKind.Fail, detail, accountId, customerId, null);

    private StripeAction Checkout(StripeEventView e, bool asyncSuccess)
    {
        var accountId = e.Metadata(AccountKey) ?? e.Field("client_reference_id");
        var customerId = e.Field("customer");
        var mode = e.Field("mode");
        if (mode is not null and not "payment")
            return Ignore(e, $"A '{mode}' checkout: plans follow customer.subscription.* events.", accountId, customerId);
        var packId = e.Metadata(PackKey);
        if (packId is null) return Ignore(e, $"The session names no '{PackKey}': not a Ledger credit pack.", accountId, customerId);
        var paymentStatus = e.Field("payment_status");
        if (!asyncSuccess && paymentStatus is not ("paid" or "no_payment_required"))
            return Ignore(e, $"Payment status '{paymentStatus}': credits follow checkout.session.async_payment_succeeded.", accountId, customerId);
        if (!plans.Packs.TryGetValue(packId, out var pack))
            return Fail($"Unknown credit pack '{packId}'; the plans file has {string.Join(", ", plans.Packs.Keys)}.", accountId, customerId);

        var sessionId = e.ObjectId ?? e.Id;
        var paymentKey = e.Field("payment_intent") ?? sessionId;
        var amount = e.Number("amount_total") ?? 0;
        var currency = e.Field("currency") ?? pack.Currency;
        var grantId = GrantIdFor(paymentKey);
        var reason = $"Stripe Checkout {sessionId}: {pack.Name}";
        return new StripeAction(StripeActionKind.Apply, null, accountId, customerId, paymentKey,
            new GrantCredits(grantId, pack.Credits, GrantSource.Purchase, null, null, null,
                new CostBasis(amount, currency), paymentKey, reason),
            Provides: $"payment:{paymentKey}",
            Money: new StripeMoney("purchase", paymentKey, amount, currency, pack.Credits, pack.Id));
    }

    private static StripeAction Invoice(StripeEventView e, bool paid)
    {
        var subscription = e.Field("parent", "subscription_details", "subscription") ?? e.Field("subscription");
        var accountId = e.Metadata(AccountKey, "parent", "subscription_details") ?? e.Metadata(AccountKey, "subscription_details")
            ?? e.Metadata(AccountKey)
            ?? StripeJson.List(e.Object, "lines").Select(l => StripeJson.Str(l, "metadata", AccountKey)).FirstOrDefault(a => a is not null);
        var customerId = e.Field("customer");
        var reasonCode = e.Field("billing_reason");
        if (subscription is null && reasonCode?.StartsWith("subscription", StringComparison.Ordinal) != true)
            return Ignore(e, "Not a subscription invoice: grace and allowance follow subscription invoices only.", accountId, customerId);
        var invoiceId = e.ObjectId;
        return paid
            ? new StripeAction(StripeActionKind.Apply, null, accountId, customerId, null,
                new RecordInvoicePaid($"Stripe invoice {invoiceId} paid"), OrderKey: "billing", Rank: 1)
            : new StripeAction(StripeActionKind.Apply, null, accountId, customerId, null,
                new StartGrace($"Stripe invoice {invoiceId} payment failed"), OrderKey: "billing", Rank: 0);
    }

    private StripeAction Subscription(StripeEventView e, bool deleted)
    {
        var accountId = e.Metadata(AccountKey);
        var customerId = e.Field("customer");
        var status = e.Field("status");
        var subscriptionId = e.ObjectId;
        string planId;
        if (deleted || status is "canceled" or "incomplete_expired")
        {
            planId = options.CanceledPlan;
        }
        else if (status is "incomplete" or "unpaid" or "paused")
        {
            return Ignore(e, $"Subscription status '{status}': the plan stays; grace follows invoice events.", accountId, customerId);
        }
        else
        {
            var named = PlanOf(e);
            if (named is null)
                return Ignore(e, $"The subscription names no Ledger plan ('{PlanKey}' metadata or a price lookup_key that is a plan id).", accountId, customerId);
            planId = named;
        }
        if (plans.TermsOf(planId) is not { } to)
            return Fail($"Plan '{planId}' is not in the plans file.", accountId, customerId);
        var reason = deleted ? $"Stripe subscription {subscriptionId} canceled" : $"Stripe subscription {subscriptionId} {status}";
        return new StripeAction(StripeActionKind.Apply, null, accountId, customerId, null,
            new ChangePlan(to, reason),
            OrderKey: "subscription", Rank: deleted ? 1 : 0);
    }

    /// <summary>
    /// The plan a subscription names: its <c>ledger_plan</c> metadata; else the first item whose price's
    /// <c>lookup_key</c> is a plan id, or whose price (or product) carries <c>ledger_plan</c> metadata.
    /// </summary>
    private string? PlanOf(StripeEventView e)
    {
        if (e.Metadata(PlanKey) is { } named) return named;
        foreach (var item in StripeJson.List(e.Object, "items"))
        {
            if (StripeJson.Str(item, "price", "lookup_key") is { } key && plans.Find(key) is not null) return key;
            if (StripeJson.Str(item, "price", "metadata", PlanKey) is { } priceNamed) return priceNamed;
            if (StripeJson.Str(item, "price", "product", "metadata", PlanKey) is { } productNamed) return productNamed;
        }
        return null;
    }

    private static StripeAction Refund(StripeEventView e)
    {
        var accountId = e.Metadata(AccountKey);
        var customerId = e.Field("customer");
        var paymentKey = e.Field("payment_intent") ?? e.ObjectId;
        var charged = e.Number("amount") ?? 0;
        // amount_refunded is the total so far; `refunded` is Stripe's flag for a charge refunded in full
        var refunded = e.Flag("refunded") ? Math.Max(charged, e.Number("amount_refunded") ?? 0) : e.Number("amount_refunded") ?? 0;
        var currency = e.Field("currency") ?? "";
        if (paymentKey is null) return Ignore(e, "The charge names no payment.", accountId, customerId);
        if (charged <= 0 || refunded <= 0)
            return Ignore(e, $"Nothing refunded ({refunded} of {charged} {currency}).", accountId, customerId);
        var grantId = GrantIdFor(paymentKey);
        return new StripeAction(StripeActionKind.Apply, null, accountId, customerId, paymentKey,
            new RefundPurchase(grantId, refunded, charged, $"Stripe refund of charge {e.ObjectId} ({refunded} of {charged} {currency})"),
            Money: new StripeMoney("refund", paymentKey, refunded, currency), PaymentFirst: true);
    }

    private static StripeAction DisputeOpened(StripeEventView e)
    {
        var paymentKey = e.Field("payment_intent") ?? e.Field("charge");
        var accountId = e.Metadata(AccountKey);
        if (paymentKey is null) return Ignore(e, "The dispute names no payment.", accountId);
        var grantId = GrantIdFor(paymentKey);
        var reason = $"Stripe dispute {e.ObjectId} opened ({e.Field("reason") ?? "no reason given"})";
        return new StripeAction(StripeActionKind.Apply, null, accountId, null, paymentKey,
            new FreezeGrant(grantId, reason), OrderKey: $"dispute:{e.ObjectId}", Rank: 0, PaymentFirst: true);
    }

    private static StripeAction DisputeClosed(StripeEventView e)
    {
        var paymentKey = e.Field("payment_intent") ?? e.Field("charge");
        var accountId = e.Metadata(AccountKey);
        var status = e.Field("status");
        if (paymentKey is null) return Ignore(e, "The dispute names no payment.", accountId);
        if (status is not ("won" or "lost" or "warning_closed"))
            return Ignore(e, $"Dispute closed with status '{status}': nothing to settle.", accountId);
        var won = status != "lost";
        var grantId = GrantIdFor(paymentKey);
        var money = won ? null : new StripeMoney("dispute-lost", paymentKey, e.Number("amount") ?? 0, e.Field("currency") ?? "");
        return new StripeAction(StripeActionKind.Apply, null, accountId, null, paymentKey,
            new SettleDispute(grantId, won, $"Stripe dispute {e.ObjectId} {status}"),
            OrderKey: $"dispute:{e.ObjectId}", Rank: 1, Money: money, PaymentFirst: true);
    }
}
