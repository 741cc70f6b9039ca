using System.Net;
using System.Net.Http.Json;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Guards;

/// <summary>DESIGN "Plans ... abuse guards": requests per minute per account from its plan → 429 with Retry-After and RateLimit-* headers.</summary>
public sealed class AccountRateLimitTests(GuardsApp fixture) : IClassFixture<GuardsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private static int Header(HttpResponseMessage response, string name)
    {
        response.Headers.TryGetValues(name, out var values).ShouldBeTrue($"{name} missing");
        return int.Parse(values!.Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_free_account_gets_10_requests_a_minute_then_429_with_the_headers_until_the_minute_ends()
    {
        var id = GuardsApp.NewAccountId("free");
        var other = GuardsApp.NewAccountId("free-other");
        await App.OpenAccountAsync(id, "free");
        await App.OpenAccountAsync(other, "free");
        var admin = fixture.Admin();

        int? reset = null;
        long? available = null;
        for (var i = 1; i <= 10; i++)
        {
            var ok = await admin.GetAsync($"/v1/accounts/{id}/balance", Ct);
            ok.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i}");
            Header(ok, "RateLimit-Limit").ShouldBe(10);
            Header(ok, "RateLimit-Remaining").ShouldBe(10 - i);
            Header(ok, "RateLimit-Reset").ShouldBeInRange(1, 60);
            reset ??= Header(ok, "RateLimit-Reset");
            Header(ok, "RateLimit-Reset").ShouldBe(reset.Value, "the clock did not move, nor does the window's end");
            available ??= (await ok.Json()).GetProperty("available").GetInt64();
        }

        var limited = await admin.GetAsync($"/v1/accounts/{id}/balance", Ct);
        var problem = await limited.ShouldBeProblem(429, "rate-limited");
        problem.GetProperty("status").GetInt32().ShouldBe(429);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        problem.GetProperty("detail").GetString()!.ShouldContain(id);
        limited.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(reset!.Value));
        Header(limited, "RateLimit-Limit").ShouldBe(10);
        Header(limited, "RateLimit-Remaining").ShouldBe(0);
        Header(limited, "RateLimit-Reset").ShouldBe(reset.Value);

        // Any method counts, and a rejected write does nothing.
        var usage = await admin.PostAsJsonAsync($"/v1/accounts/{id}/usage", new { amount = 1 }, Ct);
        await usage.ShouldBeProblem(429, "rate-limited");

        // Another account on the same plan has its own minute.
        var elsewhere = await admin.GetAsync($"/v1/accounts/{other}/balance", Ct);
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.OK);
        Header(elsewhere, "RateLimit-Remaining").ShouldBe(9);

        // Half of what is left of the minute: still limited, with a shorter wait.
        App.Clock.Advance(TimeSpan.FromSeconds(reset.Value / 2));
        var stillLimited = await admin.GetAsync($"/v1/accounts/{id}", Ct);
        await stillLimited.ShouldBeProblem(429, "rate-limited");
        stillLimited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBe(reset.Value - reset.Value / 2);

        // The next minute starts afresh.
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await admin.GetAsync($"/v1/accounts/{id}/balance", Ct);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        Header(again, "RateLimit-Remaining").ShouldBe(9);
        (await again.Json()).GetProperty("available").GetInt64().ShouldBe(available!.Value, "the rejected usage was not recorded");
    }

    [Fact]
    public async Task A_pro_account_allows_1000_requests_a_minute()
    {
        var id = GuardsApp.NewAccountId("pro");
        await App.OpenAccountAsync(id, "pro");
        var admin = fixture.Admin();

        for (var i = 1; i <= 15; i++)
        {
            var ok = await admin.GetAsync($"/v1/accounts/{id}/balance", Ct);
            ok.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i}");
            Header(ok, "RateLimit-Limit").ShouldBe(1000);
            Header(ok, "RateLimit-Remaining").ShouldBe(1000 - i);
        }
    }

    [Fact]
    public async Task Writes_and_reads_share_the_account_limit_and_an_owner_bound_key_is_metered_too()
    {
        var id = GuardsApp.NewAccountId("mixed");
        await App.OpenAccountAsync(id, "free");
        (await fixture.Admin().PostAsJsonAsync($"/v1/accounts/{id}/grants", new { amount = 100, source = "manual", reason = "test" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created); // 1
        var owner = fixture.ClientWith(await App.CreateKeyAsync(["ledger:read", "ledger:write"], id));

        for (var i = 2; i <= 9; i++)
            (await owner.GetAsync($"/v1/accounts/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var used = await owner.PostAsJsonAsync($"/v1/accounts/{id}/usage", new { amount = 5 }, Ct); // 10
        used.StatusCode.ShouldBe(HttpStatusCode.Created, await used.Content.ReadAsStringAsync(Ct));
        Header(used, "RateLimit-Remaining").ShouldBe(0);

        await (await owner.PostAsJsonAsync($"/v1/accounts/{id}/usage", new { amount = 5 }, Ct)).ShouldBeProblem(429, "rate-limited");
        await (await fixture.Admin().GetAsync($"/v1/accounts/{id}/balance", Ct)).ShouldBeProblem(429, "rate-limited");
    }

    [Fact]
    public async Task Nobody_can_spend_an_account_limit_without_being_allowed_to_see_the_account()
    {
        var victim = GuardsApp.NewAccountId("victim");
        var attacker = GuardsApp.NewAccountId("attacker");
        await App.OpenAccountAsync(victim, "free");
        await App.OpenAccountAsync(attacker, "free");
        var bound = fixture.ClientWith(await App.CreateKeyAsync(["ledger:read", "ledger:write"], attacker));
        var anonymous = fixture.ClientWith(null);

        for (var i = 0; i < 12; i++)
        {
            var hidden = await bound.GetAsync($"/v1/accounts/{victim}/balance", Ct);
            hidden.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            hidden.Headers.Contains("RateLimit-Limit").ShouldBeFalse();
            (await anonymous.GetAsync($"/v1/accounts/{victim}/balance", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        var ok = await fixture.Admin().GetAsync($"/v1/accounts/{victim}/balance", Ct);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        Header(ok, "RateLimit-Remaining").ShouldBe(9);
    }

    [Fact]
    public async Task Unknown_accounts_and_paths_outside_accounts_are_not_limited()
    {
        var admin = fixture.Admin();
        var missing = GuardsApp.NewAccountId("missing");
        for (var i = 0; i < 15; i++)
        {
            var response = await admin.GetAsync($"/v1/accounts/{missing}/balance", Ct);
            await response.ShouldBeProblem(404, "account-not-found");
            response.Headers.Contains("RateLimit-Limit").ShouldBeFalse();
        }
        for (var i = 0; i < 15; i++)
        {
            var plans = await admin.GetAsync("/v1/plans", Ct);
            plans.StatusCode.ShouldBe(HttpStatusCode.OK);
            plans.Headers.Contains("RateLimit-Limit").ShouldBeFalse();
        }
    }

    [Fact]
    public void The_account_id_comes_from_the_path_when_no_route_matched()
    {
        string? Of(string path)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Path = path;
            return Ledger.Api.Guards.AccountRateLimitMiddleware.AccountIdOf(context);
        }

        Of("/v1/accounts/acme").ShouldBe("acme");
        Of("/v1/accounts/acme/reservations/r1/commit").ShouldBe("acme");
        Of("/v1/accounts/").ShouldBeNull();
        Of("/v1/accounts").ShouldBeNull();
        Of("/v1/plans").ShouldBeNull();
    }
}

/// <summary><c>LEDGER_RATE_LIMITS=off</c>: no per-account limits (for deployments that limit at a gateway).</summary>
public sealed class RateLimitSwitchTests(GuardsApp fixture) : IClassFixture<GuardsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Switched_off_no_account_is_limited()
    {
        var off = fixture.App.WithWebHostBuilder(b => b.UseSetting(Ledger.Api.Guards.GuardOptions.RateLimitsSetting, "off"));
        var id = GuardsApp.NewAccountId("off");
        await fixture.App.OpenAccountAsync(id, "free");
        var admin = off.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LedgerApp.AdminKey);

        for (var i = 0; i < 15; i++)
        {
            var response = await admin.GetAsync($"/v1/accounts/{id}/balance", Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Headers.Contains("RateLimit-Limit").ShouldBeFalse();
        }
    }
}
