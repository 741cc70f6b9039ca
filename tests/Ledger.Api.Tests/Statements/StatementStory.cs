using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Statements;

/// <summary>
/// One app for the statement tests, on the credits tests' <c>metered</c> plan (no allowance: every credit is one the story
/// granted), and one account whose story runs over four UTC days on the app's clock. Its expiries fall days ahead of the
/// wall clock, so no durable timer writes them during the tests: the commands that follow write them, dated when they fell due.
/// </summary>
public sealed class StatementsApp(PostgresServer server) : IAsyncLifetime
{
    public const string Account = "statement-story";
    public const string RefundReason = "partial failure, \"timeout\"";

    public LedgerApp App { get; private set; } = null!;

    /// <summary>Midnight (UTC) of the story's first day; the story's instants are <see cref="Day"/>(n) plus a time of day.</summary>
    public DateTimeOffset Day0 { get; private set; }

    public DateTimeOffset Day(int n, int hours = 0, int minutes = 0) => Day0.AddDays(n).AddHours(hours).AddMinutes(minutes);

    public async ValueTask InitializeAsync()
    {
        App = await CreditsKit.StartAppAsync(server, "statements");
        var now = App.Clock.GetUtcNow();
        Day0 = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var admin = App.Admin();
        var at = $"/v1/accounts/{Account}";
        async Task When(DateTimeOffset instant, Func<Task> write)
        {
            App.Clock.SetUtcNow(instant);
            await write();
        }
        async Task Post(string url, object body, int status = 201) => await (await admin.PostJson(url, body)).ShouldBe(status);

        // day 0: 1,000 base credits and 200 promo credits that expire at noon on day 2 (promo is spent first)
        await When(Day(0, 0, 10), () => App.OpenAccountAsync(Account, CreditsKit.Plan));
        await When(Day(0, 0, 11), () => App.GrantAsync(Account, 1000, grantId: "base"));
        await When(Day(0, 0, 12), () => App.GrantAsync(Account, 200, source: "promo", expiresAt: Day(2, 12), grantId: "promo"));
        // day 1: usage under two features, then a hold of 300 committed at 350 (the excess drawn at once)
        await When(Day(1, 1), () => Post($"{at}/usage", new { usageId = "u1", amount = 100, feature = "ai" }));
        await When(Day(1, 2), () => Post($"{at}/usage", new { usageId = "u2", amount = 50, feature = "sync" }));
        await When(Day(1, 3), () => Post($"{at}/reservations", new { reservationId = "r1", amount = 300, ttlSeconds = 3600, feature = "ai" }));
        await When(Day(1, 3, 30), () => Post($"{at}/reservations/r1/commit", new { amount = 350, receiptId = "rcpt-1" }, 200));
        // day 2: 40 of u1 back (to promo), a purchased pack, a hold left to expire at 03:10; promo expires at noon
        await When(Day(2, 1), () => Post($"{at}/refunds", new { refundId = "f1", usageId = "u1", amount = 40, reason = RefundReason }));
        await When(Day(2, 2), () => Post($"{at}/grants", new
        {
            grantId = "pack", amount = 500, source = "purchase", reason = "pack_500",
            costBasis = new { amountMinor = 2900, currency = "usd" }, reference = "pi_123",
        }));
        await When(Day(2, 3), () => Post($"{at}/reservations", new { reservationId = "r2", amount = 100, ttlSeconds = 600, feature = "ai" }));
        // day 3: the pack is voided (its hold's expiry and promo's are written first), then more usage, one naming no feature
        await When(Day(3, 1), () => Post($"{at}/grants/pack/void", new { reason = "chargeback" }, 200));
        await When(Day(3, 2), () => Post($"{at}/usage", new { usageId = "u3", amount = 10, feature = "ai" }));
        await When(Day(3, 3), () => Post($"{at}/usage", new { usageId = "u4", amount = 5 }));
        App.Clock.SetUtcNow(Day(4, 6));
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }
}
