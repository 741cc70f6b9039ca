using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Plans;

public sealed class PlansApp(PostgresServer server) : SharedApp(server, "plans");

/// <summary>DESIGN "Plans, periods, quotas": the shipped plans file's tiers and credit packs, served at GET /v1/plans.</summary>
public sealed class PlansTests(PlansApp fixture) : IClassFixture<PlansApp>
{
    private LedgerApp App => fixture.App;

    private async Task<JsonElement> Plans()
    {
        var response = await App.ClientWith(await App.CreateKeyAsync(["ledger:read"])).Get("/v1/plans");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
        return await response.Json();
    }

    private static JsonElement Plan(JsonElement plans, string id) =>
        plans.GetProperty("plans").EnumerateArray().Single(p => p.GetProperty("id").GetString() == id);

    private static string[] Features(JsonElement plan) => plan.GetProperty("features").EnumerateArray().Select(f => f.GetString()!).ToArray();

    [Fact]
    public async Task Lists_the_six_plans_and_two_credit_packs()
    {
        var plans = await Plans();
        plans.GetProperty("plans").EnumerateArray().Select(p => p.GetProperty("id").GetString())
            .ShouldBe(["free", "starter", "pro", "enterprise", "payg", "unlimited"], ignoreOrder: true);

        var packs = plans.GetProperty("creditPacks").EnumerateArray().ToList();
        packs.Count.ShouldBe(2);
        var pack500 = packs.Single(p => p.GetProperty("id").GetString() == "pack_500");
        pack500.GetProperty("credits").GetInt64().ShouldBe(500);
        pack500.GetProperty("priceMinor").GetInt64().ShouldBe(2900);
        pack500.GetProperty("currency").GetString().ShouldBe("usd");
        var pack2000 = packs.Single(p => p.GetProperty("id").GetString() == "pack_2000");
        pack2000.GetProperty("credits").GetInt64().ShouldBe(2000);
        pack2000.GetProperty("priceMinor").GetInt64().ShouldBe(7900);
        pack2000.GetProperty("currency").GetString().ShouldBe("usd");
    }

    [Fact]
    public async Task Each_tier_has_the_allowance_rate_limit_overage_and_features_of_the_contract()
    {
        var plans = await Plans();

        var free = Plan(plans, "free");
        free.GetProperty("allowance").GetInt64().ShouldBe(1_000);
        free.GetProperty("requestsPerMinute").GetInt32().ShouldBe(10);
        Features(free).ShouldBe(["reports"], ignoreOrder: true);
        free.GetProperty("overage").GetProperty("mode").GetString().ShouldBe("block");

        var starter = Plan(plans, "starter");
        starter.GetProperty("allowance").GetInt64().ShouldBe(10_000);
        starter.GetProperty("requestsPerMinute").GetInt32().ShouldBe(100);
        Features(starter).ShouldBe(["ai", "sync", "reports"], ignoreOrder: true);
        starter.GetProperty("overage").GetProperty("mode").GetString().ShouldBe("block");

        var pro = Plan(plans, "pro");
        pro.GetProperty("allowance").GetInt64().ShouldBe(100_000);
        pro.GetProperty("requestsPerMinute").GetInt32().ShouldBe(1_000);
        Features(pro).ShouldBe(["ai", "sync", "reports", "webhooks"], ignoreOrder: true);
        var proOverage = pro.GetProperty("overage");
        proOverage.GetProperty("mode").GetString().ShouldBe("invoice");
        proOverage.GetProperty("unitAmountMinor").GetInt64().ShouldBe(50);
        proOverage.GetProperty("perCredits").GetInt64().ShouldBe(1_000);
        proOverage.GetProperty("currency").GetString().ShouldBe("usd");

        var enterprise = Plan(plans, "enterprise");
        enterprise.GetProperty("allowance").GetInt64().ShouldBe(10_000_000);
        enterprise.GetProperty("requestsPerMinute").GetInt32().ShouldBe(10_000);
        Features(enterprise).ShouldContain("ai");
        Features(enterprise).ShouldContain("webhooks");
        Features(enterprise).Length.ShouldBeGreaterThan(Features(pro).Length);
        enterprise.GetProperty("overage").GetProperty("unitAmountMinor").GetInt64().ShouldBe(10);
        enterprise.GetProperty("overage").GetProperty("perCredits").GetInt64().ShouldBe(1_000);

        var payg = Plan(plans, "payg");
        payg.GetProperty("allowance").GetInt64().ShouldBe(0);
        payg.GetProperty("trialGrant").GetInt64().ShouldBeGreaterThan(0);
        payg.GetProperty("overage").GetProperty("mode").GetString().ShouldBe("invoice");

        var unlimited = Plan(plans, "unlimited");
        unlimited.GetProperty("overage").GetProperty("mode").GetString().ShouldNotBe("block");
        unlimited.GetProperty("softLimitThresholds").EnumerateArray().ShouldNotBeEmpty();

        foreach (var plan in plans.GetProperty("plans").EnumerateArray())
        {
            var id = plan.GetProperty("id").GetString();
            plan.GetProperty("name").GetString().ShouldNotBeNullOrWhiteSpace(id);
            plan.GetProperty("maxCreditsPerRequest").GetInt64().ShouldBeGreaterThan(0, id);
            plan.GetProperty("rollover").GetProperty("mode").GetString().ShouldBeOneOf("none", "carry");
            plan.GetProperty("historyRetentionDays").GetInt32().ShouldBeGreaterThan(0, id);
        }
    }

    [Fact]
    public async Task Reading_plans_needs_a_key_with_read_scope()
    {
        await (await App.ClientWith(null).Get("/v1/plans")).ShouldBeProblem(401, "api-key-missing");
        await (await App.ClientWith(await App.CreateKeyAsync(["ledger:write"])).Get("/v1/plans")).ShouldBeProblem(403, "forbidden");
        (await App.Admin().Get("/v1/plans")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Every_plan_listed_can_be_opened_and_a_pack_id_cannot()
    {
        var plans = await Plans();
        foreach (var id in plans.GetProperty("plans").EnumerateArray().Select(p => p.GetProperty("id").GetString()!))
        {
            var accountId = Raw.NewAccountId("plan-" + id);
            var response = await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan = id }));
            response.StatusCode.ShouldBe(HttpStatusCode.Created, id);
            (await response.Json()).GetProperty("plan").GetString().ShouldBe(id);
        }
        var pack = await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId = Raw.NewAccountId("plan-pack"), plan = "pack_500" }));
        (await pack.ShouldBeProblem(400, "validation")).GetProperty("errors").TryGetProperty("plan", out _).ShouldBeTrue();
    }
}
