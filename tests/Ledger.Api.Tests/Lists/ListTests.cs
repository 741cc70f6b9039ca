using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Lists;

public sealed class ListsApp(PostgresServer server) : SharedApp(server, "lists");

/// <summary>
/// Issue 14, item 2: lists with Stripe's cursors (<c>limit</c>, <c>starting_after</c>, <c>has_more</c>), newest first,
/// paged to the end without a gap or a repeat, filtered where it matters (open holds are one call), and bound keys
/// seeing their own account only.
/// </summary>
public sealed class ListTests(ListsApp fixture) : IClassFixture<ListsApp>
{
    private LedgerApp App => fixture.App;

    /// <summary>Every item of a list, page by page of <paramref name="limit"/>: the ids in order, and how many pages it took.</summary>
    private static async Task<(List<string> Ids, int Pages)> PageThrough(HttpClient client, string path, string idField, int limit)
    {
        var ids = new List<string>();
        string? after = null;
        for (var pages = 1; ; pages++)
        {
            var separator = path.Contains('?') ? '&' : '?';
            var response = await client.Get($"{path}{separator}limit={limit}{(after is null ? "" : $"&starting_after={after}")}");
            var page = await response.ShouldBe(200);
            var data = page.GetProperty("data").EnumerateArray().Select(i => i.GetProperty(idField).GetString()!).ToList();
            data.Count.ShouldBeLessThanOrEqualTo(limit);
            ids.AddRange(data);
            if (!page.GetProperty("has_more").GetBoolean()) return (ids, pages);
            data.ShouldNotBeEmpty();
            after = data[^1];
        }
    }

    [Fact]
    public async Task Accounts_page_newest_first_filter_by_plan_and_status_and_a_bound_key_sees_its_own()
    {
        var prefix = Raw.NewAccountId("acct")[..10];
        var opened = new List<string>();
        foreach (var plan in new[] { "free", "pro", "pro", "starter", "pro" })
        {
            App.Clock.Advance(TimeSpan.FromSeconds(1));
            var id = $"{prefix}-{opened.Count}";
            await App.OpenAccountAsync(id, plan);
            opened.Add(id);
        }
        (await App.Admin().Post($"/v1/accounts/{opened[1]}/grace", """{"reason":"payment failed"}""")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"/v1/accounts/{opened[2]}/suspend", """{"reason":"fraud"}""")).EnsureSuccessStatusCode();

        var (all, pages) = await PageThrough(App.Admin(), "/v1/accounts", "accountId", 2);
        var mine = all.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        mine.ShouldBe(Enumerable.Reverse(opened).ToList()); // newest first, each once
        all.ShouldBeUnique();
        pages.ShouldBeGreaterThanOrEqualTo(3);

        var (pro, _) = await PageThrough(App.Admin(), "/v1/accounts?plan=pro", "accountId", 1);
        pro.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ShouldBe([opened[4], opened[2], opened[1]]);
        var (grace, _) = await PageThrough(App.Admin(), "/v1/accounts?status=grace", "accountId", 10);
        grace.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ShouldBe([opened[1]]);
        var (suspended, _) = await PageThrough(App.Admin(), "/v1/accounts?status=suspended&plan=pro", "accountId", 10);
        suspended.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ShouldBe([opened[2]]);

        // a grace period that ended reads as a suspension, before any timer wrote it
        App.Clock.Advance(TimeSpan.FromDays(15));
        var (nowSuspended, _) = await PageThrough(App.Admin(), "/v1/accounts?status=suspended", "accountId", 10);
        nowSuspended.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ShouldBe([opened[2], opened[1]]);

        var bound = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], opened[3]));
        (await PageThrough(bound, "/v1/accounts", "accountId", 10)).Ids.ShouldBe([opened[3]]);
        await (await bound.Get($"/v1/accounts?starting_after={opened[0]}")).ShouldBeProblem(400, "validation");

        await (await App.Admin().Get("/v1/accounts?limit=0")).ShouldBeProblem(400, "validation");
        await (await App.Admin().Get("/v1/accounts?limit=101")).ShouldBeProblem(400, "validation");
        await (await App.Admin().Get("/v1/accounts?status=sleeping")).ShouldBeProblem(400, "validation");
        await (await App.Admin().Get("/v1/accounts?plan=platinum")).ShouldBeProblem(400, "validation");
        await (await App.Admin().Get("/v1/accounts?starting_after=nobody")).ShouldBeProblem(400, "validation");
        var defaults = await (await App.Admin().Get("/v1/accounts")).ShouldBe(200);
        defaults.GetProperty("data").GetArrayLength().ShouldBeLessThanOrEqualTo(10);
    }

    [Fact]
    public async Task Reservations_page_and_status_pending_lists_exactly_the_open_holds()
    {
        var id = Raw.NewAccountId("holds");
        await App.OpenAccountAsync(id, "pro");
        await App.GrantAsync(id, 10_000);
        var at = $"/v1/accounts/{id}";
        async Task Reserve(string rid, int ttl = 3600)
        {
            App.Clock.Advance(TimeSpan.FromSeconds(1));
            (await App.Admin().Post($"{at}/reservations", Raw.Json(new { reservationId = rid, amount = 10, ttlSeconds = ttl }))).EnsureSuccessStatusCode();
        }
        await Reserve("short", ttl: 5);
        foreach (var rid in new[] { "r1", "r2", "r3", "r4", "r5" }) await Reserve(rid);
        (await App.Admin().Post($"{at}/reservations/r2/commit", "{}")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"{at}/reservations/r4/release", "{}")).EnsureSuccessStatusCode();
        App.Clock.Advance(TimeSpan.FromSeconds(10)); // "short" is past its ttl: expired at once for readers

        (await PageThrough(App.Admin(), $"{at}/reservations", "reservationId", 2)).Ids.ShouldBe(["r5", "r4", "r3", "r2", "r1", "short"]);
        (await PageThrough(App.Admin(), $"{at}/reservations?status=pending", "reservationId", 2)).Ids.ShouldBe(["r5", "r3", "r1"]);
        (await PageThrough(App.Admin(), $"{at}/reservations?status=expired", "reservationId", 2)).Ids.ShouldBe(["short"]);
        (await PageThrough(App.Admin(), $"{at}/reservations?status=committed", "reservationId", 2)).Ids.ShouldBe(["r2"]);
        (await PageThrough(App.Admin(), $"{at}/reservations?status=released", "reservationId", 2)).Ids.ShouldBe(["r4"]);

        var open = await (await App.Admin().Get($"{at}/reservations?status=pending&limit=100")).ShouldBe(200);
        open.GetProperty("data").EnumerateArray().Sum(r => r.GetProperty("amount").GetInt64())
            .ShouldBe((await LedgerTotals.Of(App, id)).Reserved);
        await (await App.Admin().Get($"{at}/reservations?starting_after=nope")).ShouldBeProblem(400, "validation");
        await (await App.Admin().Get($"/v1/accounts/{Raw.NewAccountId("none")}/reservations")).ShouldBeProblem(404, "account-not-found");
    }

    [Fact]
    public async Task Grants_usage_records_and_refunds_page_newest_first()
    {
        var id = Raw.NewAccountId("records");
        await App.OpenAccountAsync(id, "pro");
        var at = $"/v1/accounts/{id}";
        foreach (var g in new[] { "g1", "g2", "g3" })
        {
            App.Clock.Advance(TimeSpan.FromSeconds(1));
            await App.GrantAsync(id, 1000, grantId: g);
        }
        foreach (var u in new[] { "u1", "u2", "u3" })
        {
            App.Clock.Advance(TimeSpan.FromSeconds(1));
            (await App.Admin().Post($"{at}/usage", Raw.Json(new { usageId = u, amount = 10 }))).EnsureSuccessStatusCode();
        }
        foreach (var (f, u) in new[] { ("f1", "u1"), ("f2", "u3") })
        {
            App.Clock.Advance(TimeSpan.FromSeconds(1));
            (await App.Admin().Post($"{at}/refunds", Raw.Json(new { refundId = f, usageId = u, amount = 5, reason = "x" }))).EnsureSuccessStatusCode();
        }

        var grants = (await PageThrough(App.Admin(), $"{at}/grants", "grantId", 2)).Ids;
        grants.Take(3).ShouldBe(["g3", "g2", "g1"]);
        grants.Count.ShouldBe(4); // and the period's allowance, granted when the account opened
        (await PageThrough(App.Admin(), $"{at}/usage-records", "usageId", 2)).Ids.ShouldBe(["u3", "u2", "u1"]);
        (await PageThrough(App.Admin(), $"{at}/refunds", "refundId", 1)).Ids.ShouldBe(["f2", "f1"]);

        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], Raw.NewAccountId("other")));
        foreach (var list in new[] { "grants", "usage-records", "refunds", "reservations" })
            await (await reader.Get($"{at}/{list}")).ShouldBeProblem(404, "account-not-found");
    }
}

internal static class ListAssertions
{
    public static async Task<JsonElement> ShouldBe(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        ((int)response.StatusCode).ShouldBe(status, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
