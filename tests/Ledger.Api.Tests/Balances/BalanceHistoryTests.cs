using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Balances;

/// <summary>
/// <c>GET /balance?asOf=</c> and <c>?version=</c> recompute from the events alone: after a series of writes (and of
/// minutes in which only time passes), each instant and each version answers exactly what was seen then.
/// </summary>
public sealed class BalanceHistoryTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    private sealed record Seen(string Step, DateTimeOffset At, long Version, JsonElement Balance, bool Written);

    [Fact]
    public async Task Balance_as_of_each_instant_and_at_each_version_equals_what_was_seen_then()
    {
        const string account = "history";
        var seen = new List<Seen>();
        CreditsKit.KeepInStepWithRealTime(App);
        var start = App.Clock.GetUtcNow();

        // A step moves the clock a minute on, then writes, or lets time alone act. The clock starts level with real
        // time, so every expiry here is due minutes ahead of the wall clock: no durable timer fires during the test
        // (they wait for both clocks), and what time alone does is seen, not written.
        async Task Step(string name, Func<Task>? write, ExpectedBalance expected)
        {
            var before = seen.Count == 0 ? 0 : seen[^1].Version;
            App.Clock.Advance(TimeSpan.FromMinutes(1));
            if (write is not null) await write();
            var balance = await Client.BalanceAsync(account);
            balance.ShouldMatch(expected, name);
            var version = balance.GetProperty("version").GetInt64();
            Assert.True(write is null ? version == before : version > before, $"{name}: version {version} after {before}");
            seen.Add(new Seen(name, App.Clock.GetUtcNow(), version, balance, write is not null));
        }

        async Task Post(string url, object body, int status = 201) => await (await Client.PostJson(url, body)).ShouldBe(status);
        var at = $"/v1/accounts/{account}";

        await Step("open", () => App.OpenAccountAsync(account, CreditsKit.Plan), new ExpectedBalance(0));
        await Step("grant base 1000", () => App.GrantAsync(account, 1000, grantId: "base"), new ExpectedBalance(1000));
        var promoExpiry = App.Clock.GetUtcNow().AddMinutes(30);
        await Step("grant promo 200", () => App.GrantAsync(account, 200, source: "promo", expiresAt: promoExpiry, grantId: "promo"),
            new ExpectedBalance(1200));
        await Step("reserve 300", () => Post($"{at}/reservations", new { reservationId = "r1", amount = 300, ttlSeconds = 600 }),
            new ExpectedBalance(1200, Reserved: 300));
        await Step("commit 250", () => Post($"{at}/reservations/r1/commit", new { amount = 250 }, 200),
            new ExpectedBalance(1200, Consumed: 250));
        await Step("use 100", () => Post($"{at}/usage", new { usageId = "u1", amount = 100 }),
            new ExpectedBalance(1200, Consumed: 350));
        await Step("refund 50", () => Post($"{at}/refunds", new { usageId = "u1", amount = 50, reason = "partial failure" }),
            new ExpectedBalance(1200, Consumed: 350, Refunded: 50));
        await Step("reserve 100 for 60 s", () => Post($"{at}/reservations", new { reservationId = "r2", amount = 100, ttlSeconds = 60 }),
            new ExpectedBalance(1200, Consumed: 350, Refunded: 50, Reserved: 100));
        await Step("time: the hold expires", null, new ExpectedBalance(1200, Consumed: 350, Refunded: 50));
        var flashExpiry = App.Clock.GetUtcNow().AddMinutes(1).AddSeconds(30);
        await Step("grant flash 80", () => App.GrantAsync(account, 80, source: "promo", expiresAt: flashExpiry, grantId: "flash"),
            new ExpectedBalance(1280, Consumed: 350, Refunded: 50));
        await Step("time: flash expires", null, new ExpectedBalance(1280, Consumed: 350, Expired: 80, Refunded: 50));
        await Step("use 10", () => Post($"{at}/usage", new { usageId = "u2", amount = 10 }),
            new ExpectedBalance(1280, Consumed: 360, Expired: 80, Refunded: 50));
        await Step("void base", () => Post($"{at}/grants/base/void", new { reason = "closing" }, 200),
            new ExpectedBalance(1280, Consumed: 360, Expired: 80, Voided: 1280 - 360 - 80 + 50, Refunded: 50));
        Assert.True(promoExpiry > App.Clock.GetUtcNow(), "the promo block (spent) is still live at the last step");

        // Much later (everything due has expired by now): history must not move. After a step where only time passed, the
        // version may be later than the one seen then: an expiry written afterwards is dated when it fell due (ADR 12).
        App.Clock.Advance(TimeSpan.FromDays(3));
        foreach (var then in seen)
        {
            var asOf = await Client.BalanceAsync(account, $"?asOf={CreditsKit.Iso(then.At)}");
            var (expected, actual) = then.Written ? (then.Balance.GetRawText(), asOf.GetRawText()) : (Without(then.Balance, "version"), Without(asOf, "version"));
            Assert.True(expected == actual, $"asOf after '{then.Step}':\n  seen  {then.Balance.GetRawText()}\n  asOf  {asOf.GetRawText()}");
            Assert.True(asOf.GetProperty("version").GetInt64() >= then.Version, $"asOf after '{then.Step}': version went back");
        }

        foreach (var then in seen.Where(s => s.Written))
        {
            var atVersion = await Client.BalanceAsync(account, $"?version={then.Version}");
            Assert.True(Without(then.Balance, "asOf") == Without(atVersion, "asOf"),
                $"version {then.Version} ('{then.Step}'):\n  seen     {then.Balance.GetRawText()}\n  version  {atVersion.GetRawText()}");
            // the instant of a version is its last event's timestamp (PostgreSQL keeps microseconds)
            var instant = atVersion.GetProperty("asOf").GetDateTimeOffset();
            Assert.InRange((then.At - instant).Ticks, 0, 9);
        }

        var stream = await App.StreamAsync(account);
        Assert.Equal(seen[^1].Version, stream[^1].Version);
        Assert.Equal(seen.Select(s => s.Version).Distinct(), seen.Where(s => s.Written).Select(s => s.Version));
        // the hold's and the flash grant's expiry were written with the next write, dated at their own instants
        Assert.Equal(seen.Single(s => s.Step == "reserve 100 for 60 s").At.AddSeconds(60),
            Assert.Single(stream, e => e.Type == "reservation_expired").Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal(flashExpiry, Assert.Single(stream, e => e.Type == "grant_expired").Data.GetProperty("expiredAt").GetDateTimeOffset());

        // before the account was opened there was no balance (not a zero one); a version past the stream does not exist yet
        var before = await (await Client.Get($"{at}/balance?asOf={CreditsKit.Iso(start)}")).ShouldBeProblem(400, "before-account-opened");
        Assert.True(before.GetProperty("openedAt").GetDateTimeOffset() > start);
        Assert.True(before.GetProperty("errors").TryGetProperty("asOf", out _));
        var beyond = await (await Client.Get($"{at}/balance?version={stream[^1].Version + 1}")).ShouldBeProblem(400, "version-beyond-stream");
        Assert.Equal(stream[^1].Version, beyond.GetProperty("streamVersion").GetInt64());
        await (await Client.Get($"/v1/accounts/nobody-ever/balance?asOf={CreditsKit.Iso(start)}")).ShouldBeProblem(404, "account-not-found");
        await (await Client.Get($"{at}/balance?version=0")).ShouldBeProblem(400, "validation");
        await (await Client.Get($"{at}/balance?asOf=yesterday")).ShouldBeProblem(400, "validation");
        await (await Client.Get($"{at}/balance?asOf={CreditsKit.Iso(start)}&version=1")).ShouldBeProblem(400, "validation");
    }

    private static string Without(JsonElement balance, string property) =>
        JsonSerializer.Serialize(balance.EnumerateObject().Where(p => p.Name != property).ToDictionary(p => p.Name, p => p.Value));
}
