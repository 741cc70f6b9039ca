using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Audit;

/// <summary>One app for the class, on the credits tests' <c>metered</c> plan (no allowance: every credit is one a test granted).</summary>
public sealed class AuditApp(PostgresServer server) : IAsyncLifetime
{
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync() => App = await CreditsKit.StartAppAsync(server, "audit");

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// DESIGN "HTTP API v1": <c>GET /v1/accounts/{id}/events</c> is what support and finance read to see what happened to an
/// account. Every answer is checked against the stream as PostgreSQL holds it, not only against itself.
/// </summary>
public sealed class AccountEventsTests(AuditApp fixture) : IClassFixture<AuditApp>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();

    private static string Events(string accountId, string query = "") => $"/v1/accounts/{accountId}/events{query}";

    private async Task<JsonElement> Page(string accountId, string query = "", HttpClient? client = null) =>
        await (await (client ?? Admin).GetAsync(Events(accountId, query), Ct)).ShouldBe(200);

    private static List<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray().ToList();

    private static long Version(JsonElement item) => item.GetProperty("version").GetInt64();

    private static string Type(JsonElement item) => item.GetProperty("type").GetString()!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The stored body with its enum members (the events' only ones: source, settlement, sourceKind) camelCase.</summary>
    private static JsonElement CamelCaseEnums(JsonElement stored)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(stored.GetRawText())!.AsObject();
        foreach (var name in new[] { "source", "settlement", "sourceKind" })
            if (node[name] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var text)) node[name] = JsonNamingPolicy.CamelCase.ConvertName(text);
        return JsonSerializer.SerializeToElement(node);
    }

    private static string? Meta(JsonElement item, string name) => item.GetProperty("metadata").GetProperty(name).GetString();

    private static void ShouldBeStamped(JsonElement item, string? actor, string? idempotencyKey, string? causationId)
    {
        var stamped = (Meta(item, "actor"), Meta(item, "idempotencyKey"), Meta(item, "causationId"));
        stamped.ShouldBe((actor, idempotencyKey, causationId), $"{Type(item)} v{Version(item)}: {item.GetProperty("metadata")}");
    }

    private async Task<HttpResponseMessage> Send(HttpClient client, string url, object body, params (string Name, string Value)[] headers) =>
        await client.Post(url, Raw.Json(body), "application/json", headers);

    /// <summary>Opens an account and writes <paramref name="usages"/> usages of 1 credit, a minute apart on the app's clock.</summary>
    private async Task<string> AccountWithUsages(string prefix, int usages)
    {
        var id = Raw.NewAccountId(prefix);
        await App.OpenAccountAsync(id, CreditsKit.Plan);
        await App.GrantAsync(id, 1000, grantId: "g1");
        for (var i = 0; i < usages; i++)
        {
            App.Clock.Advance(TimeSpan.FromMinutes(1));
            await (await Admin.PostJson($"/v1/accounts/{id}/usage", new { usageId = $"u{i}", amount = 1 })).ShouldBe(201);
        }
        return id;
    }

    [Fact]
    public async Task A_story_comes_back_in_stream_order_with_its_types_bodies_and_who_wrote_each_event()
    {
        var id = Raw.NewAccountId("story");
        var writer = await (await Admin.PostJson("/v1/admin/api-keys", new { name = "audit-writer", scopes = new[] { "ledger:write" } })).ShouldBe(201);
        var writerClient = App.ClientWith(writer.GetProperty("secret").GetString());
        var writerKeyId = writer.GetProperty("id").GetString();
        var keys = await (await Admin.GetAsync("/v1/admin/api-keys", Ct)).ShouldBe(200);
        var adminKeyId = keys.GetProperty("items").EnumerateArray()
            .Single(k => k.GetProperty("prefix").GetString() == LedgerApp.AdminKey[..12]).GetProperty("id").GetString();

        await App.OpenAccountAsync(id, CreditsKit.Plan);
        await (await Send(Admin, $"/v1/accounts/{id}/grants", new { grantId = "pack", amount = 1000, source = "purchase", reason = "pack" },
            ("Idempotency-Key", "grant-key-1"), ("X-Causation-Id", "ticket-42"))).ShouldBe(201);
        await (await Send(writerClient, $"/v1/accounts/{id}/reservations", new { reservationId = "r1", amount = 300, ttlSeconds = 3600, feature = "ai" },
            ("Idempotency-Key", "reserve-key-1"))).ShouldBe(201);
        await (await Send(writerClient, $"/v1/accounts/{id}/reservations/r1/commit", new { amount = 250, receiptId = "rcpt-1" })).ShouldBe(200);
        await (await Send(writerClient, $"/v1/accounts/{id}/refunds", new { refundId = "f1", reservationId = "r1", amount = 50, reason = "partial failure" },
            ("X-Causation-Id", "support-7"))).ShouldBe(201);

        var page = await Page(id);
        var items = Items(page);
        page.GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
        var stored = await App.StreamAsync(id);

        items.Select(Version).ShouldBe(Enumerable.Range(1, stored.Count).Select(v => (long)v));
        items.Select(Type).ShouldBe(stored.Select(e => e.Type));
        items.Select(Type).Where(t => t is not "period_started").ShouldBe(
            ["account_opened", "credits_granted", "credits_reserved", "reservation_committed", "credits_refunded"]);
        var sequences = items.Select(i => i.GetProperty("sequence").GetInt64()).ToList();
        sequences.ShouldBe(sequences.Order().Distinct(), "the global sequence grows with the version");
        for (var i = 0; i < items.Count; i++)
        {
            JsonElement.DeepEquals(items[i].GetProperty("data"), CamelCaseEnums(stored[i].Data))
                .ShouldBeTrue($"v{i + 1}: {items[i].GetProperty("data")} vs {stored[i].Data}");
            items[i].GetProperty("timestamp").GetDateTimeOffset().ShouldBe(stored[i].Timestamp);
            // written as it happened; PostgreSQL keeps microseconds (the stored timestamp lost up to 9 ticks), Shouldly's bound is exclusive
            items[i].GetProperty("at").GetDateTimeOffset().ShouldBe(stored[i].Timestamp, TimeSpan.FromMicroseconds(1),
                $"v{i + 1} {Type(items[i])}: at {items[i].GetProperty("at").GetString()}, stored {stored[i].Timestamp:O}");
            Meta(items[i], "correlationId").ShouldNotBeNullOrWhiteSpace();
        }

        JsonElement Single(string type) => items.Single(i => Type(i) == type);
        var granted = Single("credits_granted");
        granted.GetProperty("data").GetProperty("grantId").GetString().ShouldBe("pack");
        granted.GetProperty("data").GetProperty("amount").GetInt64().ShouldBe(1000);
        // issue 12, item 6: stored as the C# name ("Purchase"), read as every view reads it
        stored.Single(e => e.Type == "credits_granted").Data.GetProperty("source").GetString().ShouldBe("Purchase");
        granted.GetProperty("data").GetProperty("source").GetString().ShouldBe("purchase");
        var listed = await (await Admin.GetAsync($"/v1/accounts/{id}/grants", Ct)).ShouldBe(200);
        listed.GetProperty("data").EnumerateArray().Single(g => g.GetProperty("grantId").GetString() == "pack").GetProperty("source").GetString().ShouldBe("purchase");
        var refundedKind = Single("credits_refunded").GetProperty("data").GetProperty("sourceKind").GetString();
        refundedKind.ShouldBe("reservation");
        ShouldBeStamped(granted, adminKeyId, "grant-key-1", "ticket-42");

        var reserved = Single("credits_reserved");
        reserved.GetProperty("data").GetProperty("reservationId").GetString().ShouldBe("r1");
        reserved.GetProperty("data").GetProperty("amount").GetInt64().ShouldBe(300);
        ShouldBeStamped(reserved, writerKeyId, "reserve-key-1", null);

        var committed = Single("reservation_committed");
        committed.GetProperty("data").GetProperty("amount").GetInt64().ShouldBe(250);
        committed.GetProperty("data").GetProperty("receiptId").GetString().ShouldBe("rcpt-1");
        ShouldBeStamped(committed, writerKeyId, null, null);
        committed.GetProperty("metadata").GetProperty("idempotencyKey").ValueKind.ShouldBe(JsonValueKind.Null);

        var refunded = Single("credits_refunded");
        refunded.GetProperty("data").GetProperty("amount").GetInt64().ShouldBe(50);
        refunded.GetProperty("data").GetProperty("sourceId").GetString().ShouldBe("r1");
        ShouldBeStamped(refunded, writerKeyId, null, "support-7");

        var opened = Single("account_opened");
        opened.GetProperty("data").GetProperty("accountId").GetString().ShouldBe(id);
        ShouldBeStamped(opened, adminKeyId, null, null);
    }

    [Fact]
    public async Task Paging_with_after_and_limit_walks_the_whole_stream_once_and_ends_with_a_null_next()
    {
        var id = await AccountWithUsages("paging", 9);
        var all = Items(await Page(id, "?limit=1000"));
        all.Count.ShouldBeGreaterThan(10);
        all.Select(Version).ShouldBe(Enumerable.Range(1, all.Count).Select(v => (long)v));

        for (var limit = 1; limit <= all.Count + 1; limit++)
        {
            var walked = new List<JsonElement>();
            string query = $"?limit={limit}";
            var pages = 0;
            while (true)
            {
                var page = await Page(id, query);
                var items = Items(page);
                pages++;
                items.Count.ShouldBeLessThanOrEqualTo(limit);
                walked.AddRange(items);
                if (page.GetProperty("next").ValueKind == JsonValueKind.Null) break;
                items.Count.ShouldBe(limit, "only the last page is short");
                page.GetProperty("next").GetInt64().ShouldBe(Version(items[^1]));
                query = $"?limit={limit}&after={page.GetProperty("next").GetInt64()}";
                pages.ShouldBeLessThan(all.Count + 2, "the walk does not end");
            }
            walked.Select(i => i.GetRawText()).ShouldBe(all.Select(i => i.GetRawText()), $"limit {limit}");
            pages.ShouldBe((all.Count + limit - 1) / limit, $"limit {limit}: no empty page after the last one");
        }

        var middle = Items(await Page(id, "?after=5&limit=3"));
        middle.Select(Version).ShouldBe([6L, 7L, 8L]);
        var beyond = await Page(id, $"?after={long.MaxValue}");
        Items(beyond).ShouldBeEmpty();
        beyond.GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);
        Items(await Page(id)).Count.ShouldBe(Math.Min(100, all.Count), "limit defaults to 100");
    }

    [Fact]
    public async Task The_type_filter_keeps_only_the_named_types_and_pages_over_them()
    {
        var id = await AccountWithUsages("types", 4);
        await (await Admin.PostJson($"/v1/accounts/{id}/reservations", new { reservationId = "r1", amount = 5, ttlSeconds = 3600 })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{id}/reservations/r1/release", new { reason = "not needed" })).ShouldBe(200);
        var all = Items(await Page(id));

        var usages = Items(await Page(id, "?type=usage_recorded"));
        usages.Select(i => i.GetRawText()).ShouldBe(all.Where(i => Type(i) == "usage_recorded").Select(i => i.GetRawText()));
        usages.Count.ShouldBe(4);

        var expected = all.Where(i => Type(i) is "credits_granted" or "reservation_released").Select(Version).ToList();
        expected.Count.ShouldBe(2);
        Items(await Page(id, "?type=credits_granted,reservation_released")).Select(Version).ShouldBe(expected);
        Items(await Page(id, "?type=%20reservation_released%20,credits_granted,,")).Select(Version).ShouldBe(expected);
        Items(await Page(id, "?type=credits_granted&type=reservation_released")).Select(Version).ShouldBe(expected);

        var first = await Page(id, "?type=credits_granted,reservation_released&limit=1");
        Items(first).Select(Version).ShouldBe([expected[0]]);
        first.GetProperty("next").GetInt64().ShouldBe(expected[0]);
        var second = await Page(id, $"?type=credits_granted,reservation_released&limit=1&after={expected[0]}");
        Items(second).Select(Version).ShouldBe([expected[1]]);
        second.GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null, "no later event of these types");

        Items(await Page(id, "?type=grant_voided")).ShouldBeEmpty();
    }

    [Fact]
    public async Task From_and_to_keep_the_events_whose_instant_is_in_the_half_open_range()
    {
        var id = await AccountWithUsages("range", 6);
        var all = Items(await Page(id));
        var instants = all.Select(i => i.GetProperty("at").GetDateTimeOffset()).Distinct().ToList();
        instants.Count.ShouldBeGreaterThan(5, "the usages are a minute apart");
        var (from, to) = (instants[2], instants[5]);

        var inRange = Items(await Page(id, $"?from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}"));
        inRange.Select(Version).ShouldBe(all.Where(i => i.GetProperty("at").GetDateTimeOffset() >= from
            && i.GetProperty("at").GetDateTimeOffset() < to).Select(Version));
        inRange.First().GetProperty("at").GetDateTimeOffset().ShouldBe(from, "from is inclusive");
        inRange.ShouldNotContain(i => i.GetProperty("at").GetDateTimeOffset() == to, "to is exclusive");
        inRange.Count.ShouldBe(3);

        Items(await Page(id, $"?from={CreditsKit.Iso(to)}")).Select(Version)
            .ShouldBe(all.Where(i => i.GetProperty("at").GetDateTimeOffset() >= to).Select(Version));
        Items(await Page(id, $"?to={CreditsKit.Iso(from)}")).Select(Version)
            .ShouldBe(all.Where(i => i.GetProperty("at").GetDateTimeOffset() < from).Select(Version));
        // the same instant in another offset is the same instant
        var plusTwo = from.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz");
        Items(await Page(id, $"?from={Uri.EscapeDataString(plusTwo)}&to={CreditsKit.Iso(to)}")).Select(Version).ShouldBe(inRange.Select(Version));
        Items(await Page(id, "?from=1970-01-01T00:00:00Z&to=2099-12-31T23:59:59Z")).Count.ShouldBe(all.Count);
        Items(await Page(id, "?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")).ShouldBeEmpty();

        var filtered = await Page(id, $"?type=usage_recorded&from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}&limit=2");
        Items(filtered).Select(Version).ShouldBe(inRange.Where(i => Type(i) == "usage_recorded").Take(2).Select(Version));
    }

    [Fact]
    public async Task A_key_bound_to_another_account_sees_no_events_and_the_scope_is_read()
    {
        var mine = await AccountWithUsages("bound-mine", 1);
        var theirs = await AccountWithUsages("bound-theirs", 1);
        var bound = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], mine));

        Items(await Page(mine, client: bound)).ShouldNotBeEmpty();
        var refused = await (await bound.GetAsync(Events(theirs), Ct)).ShouldBeProblem(404, "account-not-found");
        refused.GetRawText().ShouldNotContain("usage_recorded");
        await (await bound.GetAsync(Events(theirs, "?limit=0"), Ct)).ShouldBeProblem(404, "account-not-found"); // not even its validation

        var writeOnly = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        await (await writeOnly.GetAsync(Events(mine), Ct)).ShouldBeProblem(403, "forbidden");
        await (await App.ClientWith(null).GetAsync(Events(mine), Ct)).ShouldBeProblem(401, "api-key-missing");
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        Items(await Page(theirs, client: reader)).ShouldNotBeEmpty();
    }

    public static TheoryData<string, string> BadQueries() => new()
    {
        { "?limit=0", "limit" },
        { "?limit=-1", "limit" },
        { "?limit=1001", "limit" },
        { "?limit=abc", "limit" },
        { "?limit=", "limit" },
        { "?limit=99999999999999999999999", "limit" },
        { "?limit=1&limit=2", "limit" },
        { "?after=-1", "after" },
        { "?after=abc", "after" },
        { "?after=1.5", "after" },
        { "?after=99999999999999999999999", "after" },
        { "?type=nope", "type" },
        { "?type=credits_granted,nope", "type" },
        { "?type=CreditsGranted", "type" },
        { "?type=", "type" },
        { "?type=,,", "type" },
        { "?type=%00", "type" },
        { "?type=" + new string('x', 4000), "type" },
        { "?from=garbage", "from" },
        { "?from=2026-13-45T00:00:00Z", "from" },
        { "?to=yesterday", "to" },
        { "?from=%00", "from" },
        { "?from=9999-12-31T23:59:59-14:00", "from" },
        { "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to" },
        { "?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_query_parameter_is_a_validation_problem_naming_it(string query, string field)
    {
        var id = Raw.NewAccountId("bad-query");
        await App.OpenAccountAsync(id, CreditsKit.Plan);
        var problem = await (await Admin.GetAsync(Events(id, query), Ct)).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(field, out var messages).ShouldBeTrue(problem.GetRawText());
        messages.GetArrayLength().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Every_bad_parameter_is_named_at_once()
    {
        var id = Raw.NewAccountId("bad-all");
        await App.OpenAccountAsync(id, CreditsKit.Plan);
        var problem = await (await Admin.GetAsync(Events(id, "?limit=0&after=x&type=nope&from=x&to=y"), Ct)).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order().ShouldBe(["after", "from", "limit", "to", "type"]);
        problem.GetProperty("errors").GetProperty("type")[0].GetString()!.ShouldContain("nope");
    }

    [Theory]
    [InlineData("never-opened")]
    [InlineData("a%0Ab")]
    [InlineData("has%20space")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task An_unknown_account_is_404(string accountId)
    {
        await (await Admin.GetAsync(Events(accountId), Ct)).ShouldBeProblem(404, "account-not-found");
        await (await Admin.GetAsync(Events(accountId, "?type=credits_granted&from=2026-01-01T00:00:00Z"), Ct)).ShouldBeProblem(404, "account-not-found");
    }
}
