using System.Security.Cryptography;
using System.Text;
using Ledger.Api.Tests.Stripe;

namespace Ledger.Benchmarks.Scenarios;

/// <summary>A Stripe Checkout event: its id, the account, the credits it must grant (none unpaid), the exact body Stripe sends.</summary>
public sealed record Purchase(string EventId, string AccountId, string PackId, bool Paid, long Credits, byte[] Body);

/// <summary>
/// Stripe's side of webhook delivery: <c>checkout.session.completed</c> events shaped like Stripe's, built by the
/// service's own test fixtures (<c>tests/Ledger.Api.Tests/Stripe/StripeFixtures.cs</c>, compiled in here), and the
/// <c>Stripe-Signature</c> header computed as Stripe computes it.
/// </summary>
public static class StripeDeliveries
{

    /// <summary><c>t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>, signed at send time as Stripe does on every attempt.</summary>
    public static string Signature(string secret, byte[] body, long unixSeconds)
    {
        var prefix = Encoding.UTF8.GetBytes($"{unixSeconds}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }

    public static Purchase CheckoutCompleted(string accountId, string packId, long credits, long amountMinor, string currency, bool paid, long created)
    {
        var session = StripeFixtures.CheckoutSession(StripeId("cs_test"), accountId, packId, StripeId("pi"), amountMinor, currency,
            paymentStatus: paid ? "paid" : "unpaid", created: created);
        var e = StripeFixtures.Event("checkout.session.completed", session, created, id: StripeId("evt"));
        return new Purchase(e.Id, accountId, packId, paid, paid ? credits : 0, Encoding.UTF8.GetBytes(e.Body));
    }

    /// <summary>An id shaped like Stripe's: a prefix and 24 random alphanumerics.</summary>
    private static string StripeId(string prefix) =>
        $"{prefix}_{RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24)}";
}
