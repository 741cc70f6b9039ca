using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Entitlements;

/// <summary>Plans, periods, quotas, entitlements and grace through HTTP, with the test's clock.</summary>
public sealed class PlansAndGraceTests(PostgresServer server) : IAsyncLifetime
{
    private LedgerApp _app = null!;
    private HttpClient _admin = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = await LedgerApp.StartAsync(server, "plans");
        _admin = _app.Admin();
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<JsonElement> Post(string path, object body, int expected)
    {
        var response = await _admin.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == expected, $"{path}: expected {expected}, got {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement> Get(string path) => await (await _admin.GetAsync(path, Ct)).Json();

    [Fact]
    public async Task Opening_on_a_plan_grants_the_period_allowance_expiring_at_period_end()
    {
        await _app.OpenAccountAsync("starter-1", "starter");
        var balance = await Get("/v1/accounts/starter-1/balance");
        Assert.Equal(10_000, balance.GetProperty("available").GetInt64());
        var block = balance.GetProperty("blocks")[0];
        Assert.Equal("plan", block.GetProperty("source").GetString());
        var quota = await Get("/v1/accounts/starter-1/quota");
        Assert.Equal(block.GetProperty("expiresAt").GetDateTimeOffset(), quota.GetProperty("periodEnd").GetDateTimeOffset());
        Assert.Equal(quota.GetProperty("periodStart").GetDateTimeOffset().AddMonths(1), quota.GetProperty("periodEnd").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_next_period_renews_the_allowance_as_soon_as_the_period_ends()
    {
        await _app.OpenAccountAsync("renew-1", "starter");
        await Post("/v1/accounts/renew-1/usage", new { amount = 4000 }, 201);
        var first = await Get("/v1/accounts/renew-1/quota");
        Assert.Equal(4000, first.GetProperty("used").GetInt64());

        _app.Clock.SetUtcNow(first.GetProperty("periodEnd").GetDateTimeOffset().AddSeconds(1));
        var quota = await Get("/v1/accounts/renew-1/quota");
        Assert.Equal(0, quota.GetProperty("used").GetInt64());
        Assert.Equal(first.GetProperty("periodEnd").GetDateTimeOffset(), quota.GetProperty("periodStart").GetDateTimeOffset());
        var balance = await Get("/v1/accounts/renew-1/balance");
        Assert.Equal(10_000, balance.GetProperty("available").GetInt64());
        Assert.Equal(6_000, balance.GetProperty("expired").GetInt64());

        // Writing after the boundary records exactly what the read assumed.
        await Post("/v1/accounts/renew-1/usage", new { amount = 1 }, 201);
        var after = await Get("/v1/accounts/renew-1/balance");
        Assert.Equal(9_999, after.GetProperty("available").GetInt64());
        Assert.Equal(6_000, after.GetProperty("expired").GetInt64());
    }

    [Fact]
    public async Task Quota_warns_at_80_and_100_percent_and_matches_the_events()
    {
        await _app.OpenAccountAsync("quota-1", "starter");
        await Post("/v1/accounts/quota-1/grants", new { amount = 5000, source = "purchase", reason = "pack" }, 201);
        await Post("/v1/accounts/quota-1/usage", new { amount = 8000 }, 201);
        var quota = await Get("/v1/accounts/quota-1/quota");
        Assert.Equal(8000, quota.GetProperty("used").GetInt64());
        Assert.Equal(2000, quota.GetProperty("remaining").GetInt64());
        var warnings = quota.GetProperty("warnings").EnumerateArray().ToDictionary(w => w.GetProperty("threshold").GetInt32(), w => w.GetProperty("reached").GetBoolean());
        Assert.True(warnings[80]);
        Assert.False(warnings[100]);

        await Post("/v1/accounts/quota-1/usage", new { amount = 2500 }, 201);
        quota = await Get("/v1/accounts/quota-1/quota");
        Assert.Equal(10_500, quota.GetProperty("used").GetInt64());
        Assert.Equal(0, quota.GetProperty("remaining").GetInt64());
        Assert.True(quota.GetProperty("warnings").EnumerateArray().Single(w => w.GetProperty("threshold").GetInt32() == 100).GetProperty("reached").GetBoolean());

        var balance = await Get("/v1/accounts/quota-1/balance");
        Assert.Equal(balance.GetProperty("consumed").GetInt64(), quota.GetProperty("used").GetInt64());
    }

    [Fact]
    public async Task Grace_turns_ai_off_and_releases_its_holds_while_sync_keeps_working_then_restore()
    {
        await _app.OpenAccountAsync("grace-1", "starter");
        await Post("/v1/accounts/grace-1/reservations", new { reservationId = "gen", amount = 100, feature = "ai" }, 201);
        await Post("/v1/accounts/grace-1/reservations", new { reservationId = "job", amount = 50, feature = "sync" }, 201);

        var entitlements = await Post("/v1/accounts/grace-1/grace", new { reason = "card declined" }, 200);
        Assert.Equal("grace", entitlements.GetProperty("status").GetString());
        Assert.False(entitlements.GetProperty("features").GetProperty("ai").GetBoolean());
        Assert.True(entitlements.GetProperty("features").GetProperty("sync").GetBoolean());
        Assert.Equal("released", (await Get("/v1/accounts/grace-1/reservations/gen")).GetProperty("status").GetString());
        Assert.Equal("pending", (await Get("/v1/accounts/grace-1/reservations/job")).GetProperty("status").GetString());

        var refused = await _admin.PostAsJsonAsync("/v1/accounts/grace-1/reservations", new { amount = 10, feature = "ai" }, Ct);
        await refused.ShouldBeProblem(403, "feature-disabled");
        await Post("/v1/accounts/grace-1/usage", new { amount = 10, feature = "sync" }, 201);
        var again = await _admin.PostAsJsonAsync("/v1/accounts/grace-1/grace", new { reason = "again" }, Ct);
        Assert.Equal(200, (int)again.StatusCode);

        entitlements = await Post("/v1/accounts/grace-1/restore", new { reason = "paid" }, 200);
        Assert.Equal("active", entitlements.GetProperty("status").GetString());
        Assert.True(entitlements.GetProperty("features").GetProperty("ai").GetBoolean());
        await Post("/v1/accounts/grace-1/usage", new { amount = 10, feature = "ai" }, 201);
        var restoreTwice = await _admin.PostAsJsonAsync("/v1/accounts/grace-1/restore", new { reason = "twice" }, Ct);
        await restoreTwice.ShouldBeProblem(409, "account-state-conflict");
    }

    [Fact]
    public async Task A_grace_end_given_by_hand_is_kept_and_one_in_the_past_is_a_field_error()
    {
        await _app.OpenAccountAsync("grace-until", "starter");
        var refused = await _admin.PostAsJsonAsync("/v1/accounts/grace-until/grace",
            new { reason = "card declined", endsAt = _app.Clock.GetUtcNow().AddMinutes(-1) }, Ct);
        (await refused.ShouldBeProblem(400, "validation")).GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["endsAt"]);
        Assert.Equal("active", (await Get("/v1/accounts/grace-until/entitlements")).GetProperty("status").GetString());

        var endsAt = _app.Clock.GetUtcNow().AddDays(3);
        var started = await Post("/v1/accounts/grace-until/grace", new { reason = "card declined", endsAt }, 200);
        Assert.Equal(endsAt, started.GetProperty("graceEndsAt").GetDateTimeOffset());
        _app.Clock.SetUtcNow(endsAt.AddSeconds(1));
        Assert.Equal("suspended", (await Get("/v1/accounts/grace-until/entitlements")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Grace_without_payment_ends_in_suspension_where_only_reports_stay()
    {
        await _app.OpenAccountAsync("suspend-1", "starter");
        var started = await Post("/v1/accounts/suspend-1/grace", new { reason = "card declined" }, 200);
        var graceEnds = started.GetProperty("graceEndsAt").GetDateTimeOffset();
        Assert.Equal(_app.Clock.GetUtcNow().AddDays(14), graceEnds);

        _app.Clock.SetUtcNow(graceEnds.AddSeconds(1));
        var entitlements = await Get("/v1/accounts/suspend-1/entitlements");
        Assert.Equal("suspended", entitlements.GetProperty("status").GetString());
        Assert.False(entitlements.GetProperty("features").GetProperty("sync").GetBoolean());
        Assert.True(entitlements.GetProperty("features").GetProperty("reports").GetBoolean());

        var refused = await _admin.PostAsJsonAsync("/v1/accounts/suspend-1/usage", new { amount = 1, feature = "sync" }, Ct);
        await refused.ShouldBeProblem(403, "account-suspended");
        await Post("/v1/accounts/suspend-1/usage", new { amount = 1, feature = "reports" }, 201);

        await Post("/v1/accounts/suspend-1/restore", new { reason = "paid" }, 200);
        await Post("/v1/accounts/suspend-1/usage", new { amount = 1, feature = "sync" }, 201);
    }

    [Fact]
    public async Task A_request_over_the_plans_limit_is_422_and_a_feature_outside_the_plan_is_403()
    {
        await _app.OpenAccountAsync("limits-1", "free");
        var tooBig = await _admin.PostAsJsonAsync("/v1/accounts/limits-1/reservations", new { amount = 1001 }, Ct);
        var problem = await tooBig.ShouldBeProblem(422, "amount-over-limit");
        Assert.Equal(1000, problem.GetProperty("limit").GetInt64());
        var notInPlan = await _admin.PostAsJsonAsync("/v1/accounts/limits-1/usage", new { amount = 1, feature = "ai" }, Ct);
        await notInPlan.ShouldBeProblem(403, "feature-disabled");
        Assert.Equal(1000, (await Get("/v1/accounts/limits-1/balance")).GetProperty("available").GetInt64());
    }

    [Fact]
    public async Task The_velocity_alarm_freezes_spending_until_an_admin_clears_it()
    {
        await _app.OpenAccountAsync("velocity-1", "free");
        await Post("/v1/accounts/velocity-1/grants", new { amount = 5000, source = "manual", reason = "top up" }, 201);
        await Post("/v1/accounts/velocity-1/usage", new { amount = 600 }, 201);
        await Post("/v1/accounts/velocity-1/usage", new { amount = 600 }, 201);
        var entitlements = await Get("/v1/accounts/velocity-1/entitlements");
        Assert.True(entitlements.GetProperty("frozen").GetBoolean());
        Assert.Equal("frozen", entitlements.GetProperty("status").GetString());
        var refused = await _admin.PostAsJsonAsync("/v1/accounts/velocity-1/usage", new { amount = 1 }, Ct);
        await refused.ShouldBeProblem(403, "account-frozen");

        await Post("/v1/accounts/velocity-1/anomaly/clear", new { reason = "known batch job" }, 200);
        await Post("/v1/accounts/velocity-1/usage", new { amount = 1 }, 201);
    }

    [Fact]
    public async Task An_upgrade_mid_period_grants_the_prorated_difference_and_a_downgrade_takes_nothing_back()
    {
        await _app.OpenAccountAsync("upgrade-1", "starter");
        var quota = await Get("/v1/accounts/upgrade-1/quota");
        var start = quota.GetProperty("periodStart").GetDateTimeOffset();
        var end = quota.GetProperty("periodEnd").GetDateTimeOffset();
        _app.Clock.SetUtcNow(start + (end - start) / 2);

        await Post("/v1/accounts/upgrade-1/plan", new { plan = "pro", reason = "upgrade" }, 200);
        var afterUpgrade = await Get("/v1/accounts/upgrade-1/balance");
        var expected = 10_000 + (long)Math.Floor((100_000 - 10_000) * ((double)(end - _app.Clock.GetUtcNow()).Ticks / (end - start).Ticks));
        Assert.Equal(expected, afterUpgrade.GetProperty("available").GetInt64());

        await Post("/v1/accounts/upgrade-1/plan", new { plan = "free", reason = "downgrade" }, 200);
        var afterDowngrade = await Get("/v1/accounts/upgrade-1/balance");
        Assert.Equal(expected, afterDowngrade.GetProperty("available").GetInt64());
        Assert.Equal("free", (await Get("/v1/accounts/upgrade-1")).GetProperty("plan").GetString());
        var unknown = await _admin.PostAsJsonAsync("/v1/accounts/upgrade-1/plan", new { plan = "gold", reason = "x" }, Ct);
        await unknown.ShouldBeProblem(400, "validation");
    }
}
