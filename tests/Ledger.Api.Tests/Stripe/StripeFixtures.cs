using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// Stripe events shaped like the ones Stripe sends (the API reference's example objects, API version
/// <see cref="ApiVersion"/>; invoices carry their subscription under <c>parent.subscription_details</c> as of 2025),
/// pretty-printed as Stripe delivers them. Each builder returns the event id and its exact body.
/// </summary>
public static class StripeFixtures
{
    public const string ApiVersion = "2025-09-30.clover";

    public sealed record StripeEvent(string Id, string Type, string Body, long Created);

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static string NewId(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 25)];

    public static StripeEvent Event(string type, JsonObject dataObject, long created, string? id = null, string? apiVersion = null,
        JsonObject? previousAttributes = null)
    {
        id ??= NewId("evt");
        var data = new JsonObject { ["object"] = dataObject };
        if (previousAttributes is not null) data["previous_attributes"] = previousAttributes;
        var root = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = apiVersion ?? ApiVersion,
            ["created"] = created,
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = NewId("req"), ["idempotency_key"] = Guid.NewGuid().ToString() },
            ["type"] = type,
        };
        return new StripeEvent(id, type, root.ToJsonString(Pretty), created);
    }

    private static JsonObject Metadata(params (string Key, string? Value)[] entries)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in entries)
            if (value is not null) metadata[key] = value;
        return metadata;
    }

    public static JsonObject CheckoutSession(
        string sessionId, string? accountId, string? pack, string? paymentIntent, long amountTotal, string currency = "usd",
        string? customer = null, string paymentStatus = "paid", string mode = "payment", long created = 0)
    {
        return new JsonObject
        {
            ["id"] = sessionId,
            ["object"] = "checkout.session",
            ["adaptive_pricing"] = new JsonObject { ["enabled"] = true },
            ["after_expiration"] = null,
            ["allow_promotion_codes"] = null,
            ["amount_subtotal"] = amountTotal,
            ["amount_total"] = amountTotal,
            ["automatic_tax"] = new JsonObject { ["enabled"] = false, ["liability"] = null, ["status"] = null },
            ["billing_address_collection"] = null,
            ["cancel_url"] = "https://app.example.com/billing/cancel",
            ["client_reference_id"] = accountId,
            ["consent"] = null,
            ["created"] = created,
            ["currency"] = currency,
            ["customer"] = customer,
            ["customer_creation"] = customer is null ? "if_required" : null,
            ["customer_details"] = new JsonObject
            {
                ["address"] = new JsonObject { ["city"] = null, ["country"] = "US", ["line1"] = null, ["line2"] = null, ["postal_code"] = "94107", ["state"] = null },
                ["email"] = "jenny.rosen@example.com",
                ["name"] = "Jenny Rosen",
                ["phone"] = null,
                ["tax_exempt"] = "none",
                ["tax_ids"] = new JsonArray(),
            },
            ["customer_email"] = null,
            ["expires_at"] = created + 86400,
            ["invoice"] = null,
            ["livemode"] = false,
            ["locale"] = null,
            ["metadata"] = Metadata(("ledger_account_id", accountId), ("ledger_pack", pack)),
            ["mode"] = mode,
            ["payment_intent"] = paymentIntent,
            ["payment_link"] = null,
            ["payment_method_collection"] = "if_required",
            ["payment_method_types"] = new JsonArray("card"),
            ["payment_status"] = paymentStatus,
            ["phone_number_collection"] = new JsonObject { ["enabled"] = false },
            ["recovered_from"] = null,
            ["setup_intent"] = null,
            ["shipping_address_collection"] = null,
            ["shipping_options"] = new JsonArray(),
            ["status"] = paymentStatus == "unpaid" ? "complete" : "complete",
            ["submit_type"] = null,
            ["subscription"] = null,
            ["success_url"] = "https://app.example.com/billing/success",
            ["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 },
            ["ui_mode"] = "hosted",
            ["url"] = null,
        };
    }

    public static JsonObject Invoice(string invoiceId, string customer, string? subscription, long amount, string status, string? accountId = null,
        string billingReason = "subscription_cycle", long created = 0)
    {
        return new JsonObject
        {
            ["id"] = invoiceId,
            ["object"] = "invoice",
            ["account_country"] = "US",
            ["account_name"] = "Example SaaS",
            ["amount_due"] = amount,
            ["amount_overpaid"] = 0,
            ["amount_paid"] = status == "paid" ? amount : 0,
            ["amount_remaining"] = status == "paid" ? 0 : amount,
            ["amount_shipping"] = 0,
            ["attempt_count"] = status == "paid" ? 1 : 2,
            ["attempted"] = true,
            ["auto_advance"] = status != "paid",
            ["billing_reason"] = billingReason,
            ["collection_method"] = "charge_automatically",
            ["created"] = created,
            ["currency"] = "usd",
            ["customer"] = customer,
            ["customer_email"] = "jenny.rosen@example.com",
            ["customer_name"] = "Jenny Rosen",
            ["description"] = null,
            ["hosted_invoice_url"] = $"https://invoice.stripe.com/i/acct_test/{invoiceId}",
            ["lines"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = NewId("il"),
                    ["object"] = "line_item",
                    ["amount"] = amount,
                    ["currency"] = "usd",
                    ["description"] = "1 × Pro (at $49.00 / month)",
                    ["metadata"] = new JsonObject(),
                    ["period"] = new JsonObject { ["end"] = created + 2592000, ["start"] = created },
                    ["quantity"] = 1,
                }),
                ["has_more"] = false,
                ["total_count"] = 1,
                ["url"] = $"/v1/invoices/{invoiceId}/lines",
            },
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["next_payment_attempt"] = status == "paid" ? null : created + 259200,
            ["number"] = "A1B2C3D4-0001",
            ["parent"] = subscription is null ? null : new JsonObject
            {
                ["quote_details"] = null,
                ["subscription_details"] = new JsonObject
                {
                    ["metadata"] = Metadata(("ledger_account_id", accountId)),
                    ["subscription"] = subscription,
                },
                ["type"] = "subscription_details",
            },
            ["period_end"] = created,
            ["period_start"] = created - 2592000,
            ["status"] = status,
            ["status_transitions"] = new JsonObject
            {
                ["finalized_at"] = created,
                ["marked_uncollectible_at"] = null,
                ["paid_at"] = status == "paid" ? created : null,
                ["voided_at"] = null,
            },
            ["subtotal"] = amount,
            ["total"] = amount,
            ["webhooks_delivered_at"] = created,
        };
    }

    public static JsonObject Subscription(string subscriptionId, string customer, string status, string? lookupKey, string? accountId = null,
        string? planMetadata = null, long created = 0)
    {
        return new JsonObject
        {
            ["id"] = subscriptionId,
            ["object"] = "subscription",
            ["application"] = null,
            ["billing_cycle_anchor"] = created,
            ["cancel_at"] = null,
            ["cancel_at_period_end"] = false,
            ["canceled_at"] = status == "canceled" ? created : null,
            ["collection_method"] = "charge_automatically",
            ["created"] = created,
            ["currency"] = "usd",
            ["customer"] = customer,
            ["default_payment_method"] = null,
            ["ended_at"] = status == "canceled" ? created : null,
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = NewId("si"),
                    ["object"] = "subscription_item",
                    ["created"] = created,
                    ["current_period_end"] = created + 2592000,
                    ["current_period_start"] = created,
                    ["metadata"] = new JsonObject(),
                    ["price"] = new JsonObject
                    {
                        ["id"] = NewId("price"),
                        ["object"] = "price",
                        ["active"] = true,
                        ["billing_scheme"] = "per_unit",
                        ["currency"] = "usd",
                        ["lookup_key"] = lookupKey,
                        ["metadata"] = new JsonObject(),
                        ["nickname"] = null,
                        ["product"] = NewId("prod"),
                        ["recurring"] = new JsonObject { ["interval"] = "month", ["interval_count"] = 1, ["usage_type"] = "licensed" },
                        ["type"] = "recurring",
                        ["unit_amount"] = 4900,
                    },
                    ["quantity"] = 1,
                    ["subscription"] = subscriptionId,
                }),
                ["has_more"] = false,
                ["total_count"] = 1,
                ["url"] = $"/v1/subscription_items?subscription={subscriptionId}",
            },
            ["latest_invoice"] = NewId("in"),
            ["livemode"] = false,
            ["metadata"] = Metadata(("ledger_account_id", accountId), ("ledger_plan", planMetadata)),
            ["start_date"] = created,
            ["status"] = status,
            ["trial_end"] = null,
            ["trial_start"] = null,
        };
    }

    public static JsonObject Charge(string chargeId, string paymentIntent, long amount, long amountRefunded, string? customer, string? accountId = null,
        long created = 0)
    {
        return new JsonObject
        {
            ["id"] = chargeId,
            ["object"] = "charge",
            ["amount"] = amount,
            ["amount_captured"] = amount,
            ["amount_refunded"] = amountRefunded,
            ["balance_transaction"] = NewId("txn"),
            ["billing_details"] = new JsonObject { ["email"] = "jenny.rosen@example.com", ["name"] = "Jenny Rosen" },
            ["captured"] = true,
            ["created"] = created,
            ["currency"] = "usd",
            ["customer"] = customer,
            ["description"] = null,
            ["disputed"] = false,
            ["failure_code"] = null,
            ["livemode"] = false,
            ["metadata"] = Metadata(("ledger_account_id", accountId)),
            ["outcome"] = new JsonObject { ["network_status"] = "approved_by_network", ["risk_level"] = "normal", ["seller_message"] = "Payment complete.", ["type"] = "authorized" },
            ["paid"] = true,
            ["payment_intent"] = paymentIntent,
            ["payment_method"] = NewId("pm"),
            ["payment_method_details"] = new JsonObject
            {
                ["card"] = new JsonObject { ["brand"] = "visa", ["country"] = "US", ["exp_month"] = 8, ["exp_year"] = 2030, ["last4"] = "4242" },
                ["type"] = "card",
            },
            ["receipt_url"] = $"https://pay.stripe.com/receipts/{chargeId}",
            ["refunded"] = amountRefunded >= amount,
            ["refunds"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = NewId("re"),
                    ["object"] = "refund",
                    ["amount"] = amountRefunded,
                    ["charge"] = chargeId,
                    ["created"] = created,
                    ["currency"] = "usd",
                    ["payment_intent"] = paymentIntent,
                    ["reason"] = "requested_by_customer",
                    ["status"] = "succeeded",
                }),
                ["has_more"] = false,
                ["total_count"] = 1,
                ["url"] = $"/v1/charges/{chargeId}/refunds",
            },
            ["status"] = "succeeded",
        };
    }

    public static JsonObject Dispute(string disputeId, string chargeId, string paymentIntent, long amount, string status, long created = 0)
    {
        return new JsonObject
        {
            ["id"] = disputeId,
            ["object"] = "dispute",
            ["amount"] = amount,
            ["balance_transactions"] = new JsonArray(),
            ["charge"] = chargeId,
            ["created"] = created,
            ["currency"] = "usd",
            ["evidence"] = new JsonObject { ["customer_email_address"] = "jenny.rosen@example.com", ["uncategorized_text"] = null },
            ["evidence_details"] = new JsonObject { ["due_by"] = created + 864000, ["has_evidence"] = false, ["past_due"] = false, ["submission_count"] = 0 },
            ["is_charge_refundable"] = false,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["payment_intent"] = paymentIntent,
            ["reason"] = "fraudulent",
            ["status"] = status,
        };
    }

    // ---- whole events ----------------------------------------------------------------------------------------------

    public static StripeEvent Purchase(string accountId, string pack, string paymentIntent, long created, string? customer = null,
        string type = "checkout.session.completed", string paymentStatus = "paid", string? sessionId = null, string? eventId = null)
    {
        var (amount, _) = Price(pack);
        var session = CheckoutSession(sessionId ?? NewId("cs_test"), accountId, pack, paymentIntent, amount, customer: customer,
            paymentStatus: paymentStatus, created: created);
        return Event(type, session, created, eventId);
    }

    public static (long AmountMinor, long Credits) Price(string pack) => pack switch
    {
        "pack_500" => (2900, 500),
        "pack_2000" => (7900, 2000),
        _ => (1000, 0),
    };

    public static StripeEvent Refund(string paymentIntent, long amount, long refunded, long created, string? customer = null, string? accountId = null,
        string? chargeId = null) =>
        Event("charge.refunded", Charge(chargeId ?? NewId("ch"), paymentIntent, amount, refunded, customer, accountId, created), created);

    public static StripeEvent DisputeEvent(string type, string disputeId, string paymentIntent, long amount, string status, long created) =>
        Event(type, Dispute(disputeId, NewId("ch"), paymentIntent, amount, status, created), created);

    public static StripeEvent InvoiceEvent(string type, string customer, string subscription, long created, string? accountId = null, string? invoiceId = null) =>
        Event(type, Invoice(invoiceId ?? NewId("in"), customer, subscription, 4900, type == "invoice.paid" ? "paid" : "open", accountId, created: created), created);

    public static StripeEvent SubscriptionEvent(string type, string subscriptionId, string customer, string status, string? lookupKey, long created,
        string? accountId = null, string? planMetadata = null) =>
        Event(type, Subscription(subscriptionId, customer, status, lookupKey, accountId, planMetadata, created), created);
}
