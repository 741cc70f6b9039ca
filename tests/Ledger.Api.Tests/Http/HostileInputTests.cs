using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>One account with a grant, a pending hold, a committed hold and a usage, for the sweep to aim at.</summary>
public sealed class HostileInputApp(PostgresServer server) : SharedApp(server, "hostile")
{
    public const string Account = "hostile";

    protected override async Task SeedAsync()
    {
        await App.OpenAccountAsync(Account, "starter"); // spending stops at zero (no overage), 100 requests/min
        await App.GrantAsync(Account, 1_000_000, grantId: "g1");
        var admin = App.Admin();
        foreach (var (path, body) in new[]
                 {
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"r1","amount":10,"ttlSeconds":86400}"""),
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"rc","amount":10,"ttlSeconds":86400}"""),
                     ($"/v1/accounts/{Account}/reservations/rc/commit", """{"amount":10}"""),
                     ($"/v1/accounts/{Account}/usage", """{"usageId":"u1","amount":10}"""),
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"r-nul-1","amount":10,"ttlSeconds":86400}"""),
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"r-nul-2","amount":10,"ttlSeconds":86400}"""),
                     ($"/v1/accounts/{Account}/grants", """{"grantId":"g-nul","amount":10,"source":"manual","reason":"x"}"""),
                 })
        {
            var response = await admin.Post(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>
/// DESIGN "HTTP API v1": no request ever yields a 500 for anything a client can send, and every error is a problem
/// document. A table of hostile requests across every POST endpoint (and a few reads): none may answer 5xx, every
/// error answer must be application/problem+json whose <c>type</c> starts with <c>/problems/</c> and whose
/// <c>status</c> matches, and the account's ledger must still add up afterwards.
/// </summary>
public sealed class HostileInputTests(HostileInputApp fixture) : IClassFixture<HostileInputApp>
{
    private const string A = HostileInputApp.Account;
    private const string Base = "/v1/accounts/" + A;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Long = new('x', 600);
    private static readonly string Deep = string.Concat(Enumerable.Repeat("""{"a":""", 2000)) + "1" + new string('}', 2000);

    /// <summary>Rows <c>Nul(...)</c> put U+0000, which PostgreSQL's jsonb cannot hold, into each text field that reaches an event or a document.</summary>
    public static IEnumerable<TheoryDataRow<string, string, string, string?, string?>> Requests()
    {
        const string json = "application/json";
        var data = new List<TheoryDataRow<string, string, string, string?, string?>>();
        void Add(string name, string method, string path, string? body, string? contentType = json, string? skip = null) =>
            data.Add(new TheoryDataRow<string, string, string, string?, string?>(name, method, path, body, contentType) { Skip = skip is null ? null : KnownBugs.Skip(skip) });
        void Nul(string name, string path, string body) => Add(name, "POST", path, body, json);

        // reservations
        Add("reserve: truncated JSON", "POST", $"{Base}/reservations", """{"amount":""");
        Add("reserve: array", "POST", $"{Base}/reservations", """[{"amount":1}]""");
        Add("reserve: string amount", "POST", $"{Base}/reservations", """{"amount":"lots"}""");
        Add("reserve: 20-digit amount", "POST", $"{Base}/reservations", """{"amount":99999999999999999999}""");
        Add("reserve: float amount", "POST", $"{Base}/reservations", """{"amount":1.5}""");
        Add("reserve: ttl beyond int", "POST", $"{Base}/reservations", """{"amount":1,"ttlSeconds":99999999999}""");
        Add("reserve: ttl zero", "POST", $"{Base}/reservations", """{"amount":1,"ttlSeconds":0}""");
        Add("reserve: ttl over 24h", "POST", $"{Base}/reservations", """{"amount":1,"ttlSeconds":86401}""");
        Add("reserve: metadata not strings", "POST", $"{Base}/reservations", """{"amount":1,"metadata":{"a":1}}""");
        Add("reserve: metadata a string", "POST", $"{Base}/reservations", """{"amount":1,"metadata":"x"}""");
        Add("reserve: 51 metadata entries", "POST", $"{Base}/reservations",
            "{\"amount\":1,\"metadata\":{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"k{i}\":\"v\"")) + "}}");
        Nul("reserve: NUL in metadata value", $"{Base}/reservations", """{"amount":1,"metadata":{"k":"a\u0000b"}}""");
        Nul("reserve: NUL as metadata key", $"{Base}/reservations", """{"amount":1,"metadata":{"\u0000":"v"}}""");
        Add("reserve: lone surrogate in metadata", "POST", $"{Base}/reservations", """{"amount":1,"metadata":{"k":"\ud800"}}""", json);
        Add("reserve: lone low surrogate in feature", "POST", $"{Base}/reservations", """{"amount":1,"feature":"\udc00"}""", json);
        Add("reserve: lone surrogate as a field name", "POST", $"{Base}/reservations", """{"amount":1,"\ud800":1}""", json);
        Add("grant: lone surrogate in reason", "POST", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"a\ud800b"}""", json);
        Add("account: lone surrogate in id", "POST", "/v1/accounts", """{"accountId":"\ud800","plan":"free"}""", json);
        Add("reserve: surrogate pair (valid)", "POST", $"{Base}/reservations", """{"amount":1,"metadata":{"emoji":"\ud83d\ude00"}}""");
        Add("reserve: bad reservation id", "POST", $"{Base}/reservations", """{"reservationId":"bad id!","amount":1}""");
        Add("reserve: 65-char reservation id", "POST", $"{Base}/reservations", $$"""{"reservationId":"{{new string('r', 65)}}","amount":1}""");
        Add("reserve: long feature", "POST", $"{Base}/reservations", $$"""{"amount":1,"feature":"{{Long}}"}""");
        Add("reserve: nesting 2000 deep", "POST", $"{Base}/reservations", Deep);
        Add("reserve: null body", "POST", $"{Base}/reservations", "null");
        Add("reserve: empty object", "POST", $"{Base}/reservations", "{}");
        Add("reserve: empty body", "POST", $"{Base}/reservations", "");
        Add("reserve: no body at all", "POST", $"{Base}/reservations", null, null);
        Add("reserve: xml", "POST", $"{Base}/reservations", "<amount>1</amount>", "application/xml");
        Add("reserve: same id, other amount", "POST", $"{Base}/reservations", """{"reservationId":"r1","amount":11,"ttlSeconds":86400}""");
        Add("reserve: more than there is", "POST", $"{Base}/reservations", """{"amount":1000000000000000}""");
        Add("reserve: invalid UTF-8 in account id", "POST", "/v1/accounts/%ED%A0%80/reservations", """{"amount":1}""");
        Add("reserve: 3000-char account id", "POST", $"/v1/accounts/{new string('a', 3000)}/reservations", """{"amount":1}""");
        Add("reserve: UTF-16 declared, UTF-8 sent", "POST", $"{Base}/reservations", """{"amount":1}""", "application/json; charset=utf-16");

        // commit, release, extend
        Add("commit: negative", "POST", $"{Base}/reservations/r1/commit", """{"amount":-1}""");
        Add("commit: string", "POST", $"{Base}/reservations/r1/commit", """{"amount":"all"}""");
        Add("commit: receipt id a number", "POST", $"{Base}/reservations/r1/commit", """{"receiptId":5}""");
        Add("commit: receipt id 600 chars", "POST", $"{Base}/reservations/r1/commit", $$"""{"receiptId":"{{Long}}"}""");
        Add("commit: array", "POST", $"{Base}/reservations/r1/commit", "[]");
        Add("commit: unknown reservation", "POST", $"{Base}/reservations/none/commit", "{}");
        Add("commit: again with another amount", "POST", $"{Base}/reservations/rc/commit", """{"amount":5}""");
        Add("commit: invalid UTF-8 in reservation id", "POST", $"{Base}/reservations/%FF%FE/commit", "{}");
        Nul("commit: NUL in receipt id", $"{Base}/reservations/r-nul-1/commit", """{"receiptId":"\u0000"}""");
        Nul("commit: NUL in commit metadata", $"{Base}/reservations/r-nul-1/commit", """{"metadata":{"k":"\u0000"}}""");
        Nul("release: NUL in reason", $"{Base}/reservations/r-nul-2/release", """{"reason":"\u0000"}""");
        Nul("refund: NUL in reason", $"{Base}/refunds", """{"usageId":"u1","amount":1,"reason":"\u0000"}""");
        Nul("void: NUL in reason", $"{Base}/grants/g-nul/void", """{"reason":"\u0000"}""");
        Add("commit: NUL in metadata", "POST", $"{Base}/reservations/none/commit", """{"metadata":{"k":"\u0000"}}""");
        Add("release: reason a number", "POST", $"{Base}/reservations/r1/release", """{"reason":5}""");
        Add("release: reason 600 chars", "POST", $"{Base}/reservations/r1/release", $$"""{"reason":"{{Long}}"}""");
        Add("release: truncated", "POST", $"{Base}/reservations/r1/release", "{");
        Add("release: committed one", "POST", $"{Base}/reservations/rc/release", "{}");
        Add("extend: missing ttl", "POST", $"{Base}/reservations/r1/extend", "{}");
        Add("extend: zero ttl", "POST", $"{Base}/reservations/r1/extend", """{"ttlSeconds":0}""");
        Add("extend: ttl a word", "POST", $"{Base}/reservations/r1/extend", """{"ttlSeconds":"soon"}""");
        Add("extend: no body", "POST", $"{Base}/reservations/r1/extend", null, null);
        Add("extend: committed one", "POST", $"{Base}/reservations/rc/extend", """{"ttlSeconds":60}""");

        // usage and refunds
        Add("usage: zero", "POST", $"{Base}/usage", """{"amount":0}""");
        Add("usage: boolean", "POST", $"{Base}/usage", """{"amount":true}""");
        Add("usage: bad usage id", "POST", $"{Base}/usage", """{"usageId":"a/b","amount":1}""");
        Add("usage: same id, other amount", "POST", $"{Base}/usage", """{"usageId":"u1","amount":11}""");
        Nul("usage: NUL in metadata", $"{Base}/usage", """{"amount":1,"metadata":{"k":"\u0000"}}""");
        Add("refund: neither source", "POST", $"{Base}/refunds", """{"amount":1,"reason":"x"}""");
        Add("refund: both sources", "POST", $"{Base}/refunds", """{"reservationId":"rc","usageId":"u1","amount":1,"reason":"x"}""");
        Add("refund: unknown usage", "POST", $"{Base}/refunds", """{"usageId":"none","amount":1,"reason":"x"}""");
        Add("refund: more than consumed", "POST", $"{Base}/refunds", """{"usageId":"u1","amount":999999,"reason":"x"}""");
        Add("refund: pending hold", "POST", $"{Base}/refunds", """{"reservationId":"r1","amount":1,"reason":"x"}""");
        Add("refund: no reason", "POST", $"{Base}/refunds", """{"usageId":"u1","amount":1}""");

        // grants and voids
        Add("grant: unknown source", "POST", $"{Base}/grants", """{"amount":10,"source":"gift","reason":"x"}""");
        Add("grant: expiresAt not a date", "POST", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"x","expiresAt":"tomorrow"}""");
        Add("grant: priority 101", "POST", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"x","priority":101}""");
        Add("grant: priority beyond int", "POST", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"x","priority":4294967296}""");
        Add("grant: bad cost basis", "POST", $"{Base}/grants", """{"amount":10,"source":"purchase","reason":"x","costBasis":{"amountMinor":-1,"currency":"dollars"}}""");
        Add("grant: empty cost basis", "POST", $"{Base}/grants", """{"amount":10,"source":"purchase","reason":"x","costBasis":{}}""");
        Add("grant: expires before effective", "POST", $"{Base}/grants",
            """{"amount":10,"source":"manual","reason":"x","effectiveAt":"2031-01-01T00:00:00Z","expiresAt":"2030-01-01T00:00:00Z"}""");
        Add("grant: year 0001 offset +14", "POST", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"x","effectiveAt":"0001-01-01T00:00:00+14:00"}""");
        Add("grant: expires at the end of time", "POST", $"{Base}/grants",
            """{"grantId":"g-end-of-time","amount":10,"source":"manual","reason":"x","expiresAt":"9999-12-31T23:59:59.9999999+00:00"}""");
        Nul("grant: NUL in reason", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"a\u0000b"}""");
        Nul("grant: NUL in reference", $"{Base}/grants", """{"amount":10,"source":"manual","reason":"x","reference":"\u0000"}""");
        Add("void: no reason", "POST", $"{Base}/grants/g1/void", "{}");
        Add("void: reason a number", "POST", $"{Base}/grants/g1/void", """{"reason":1}""");
        Add("void: unknown grant", "POST", $"{Base}/grants/none/void", """{"reason":"x"}""");
        Add("void: invalid UTF-8 in grant id", "POST", $"{Base}/grants/%C0%80/void", """{"reason":"x"}""");

        // accounts
        Add("account: bad id", "POST", "/v1/accounts", """{"accountId":"bad id!","plan":"free"}""");
        Add("account: 65-char id", "POST", "/v1/accounts", $$"""{"accountId":"{{new string('a', 65)}}","plan":"free"}""");
        Add("account: unknown plan", "POST", "/v1/accounts", """{"accountId":"hostile-new","plan":"gold"}""");
        Add("account: exists on another plan", "POST", "/v1/accounts", """{"accountId":"hostile","plan":"pro"}""");
        Add("account: customer id a number", "POST", "/v1/accounts", """{"accountId":"hostile-n","plan":"free","stripeCustomerId":12}""");
        Nul("account: NUL in metadata", "/v1/accounts", """{"accountId":"hostile-nul-meta","plan":"free","metadata":{"k":"\u0000"}}""");
        Nul("account: NUL in customer id", "/v1/accounts", """{"accountId":"hostile-nul-cus","plan":"free","stripeCustomerId":"cus_\u0000"}""");

        // api keys
        Add("api key: unknown scope", "POST", "/v1/admin/api-keys", """{"name":"x","scopes":["root"]}""");
        Add("api key: scopes a string", "POST", "/v1/admin/api-keys", """{"name":"x","scopes":"admin"}""");
        Add("api key: name 600 chars", "POST", "/v1/admin/api-keys", $$"""{"name":"{{Long}}","scopes":["admin"]}""");
        Nul("api key: NUL in name", "/v1/admin/api-keys", """{"name":"a\u0000b","scopes":["ledger:read"]}""");
        Add("api key: null scope", "POST", "/v1/admin/api-keys", """{"name":"x","scopes":[null]}""");
        Add("api key: revoke unknown id", "DELETE", "/v1/admin/api-keys/%FF", null, null);

        // reads
        Add("read: invalid UTF-8 account", "GET", "/v1/accounts/%ED%A0%80", null, null);
        Add("read: invalid UTF-8 account balance", "GET", "/v1/accounts/%FF/balance", null, null);
        Add("read: invalid UTF-8 reservation", "GET", $"{Base}/reservations/%C0%80", null, null);
        Add("read: 3000-char account", "GET", $"/v1/accounts/{new string('a', 3000)}", null, null);
        Add("read: asOf garbage", "GET", $"{Base}/balance?asOf=yesterday", null, null);
        Add("read: version negative", "GET", $"{Base}/balance?version=-1", null, null);
        Add("read: version beyond 64 bits", "GET", $"{Base}/balance?version=99999999999999999999", null, null);
        Add("read: asOf and version", "GET", $"{Base}/balance?asOf=2030-01-01T00:00:00Z&version=1", null, null);
        Add("read: asOf year 1", "GET", $"{Base}/balance?asOf=0001-01-01T00:00:00Z", null, null);
        Add("read: asOf year 9999", "GET", $"{Base}/balance?asOf=9999-12-31T23:59:59Z", null, null);
        Add("read: version far ahead", "GET", $"{Base}/balance?version=9223372036854775807", null, null);
        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_hostile_request_never_yields_5xx_and_every_error_is_a_problem(
        string name, string method, string path, string? body, string? contentType)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        var response = await fixture.App.Admin().SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        var status = (int)response.StatusCode;

        status.ShouldBeLessThan(500, $"{name}: {text}");
        if (status >= 400)
        {
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{name}: {text}");
            var problem = JsonDocument.Parse(text).RootElement;
            problem.GetProperty("type").GetString()!.ShouldStartWith("/problems/", customMessage: name);
            problem.GetProperty("status").GetInt32().ShouldBe(status, name);
            problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace(name);
            text.ShouldNotContain("Exception", Case.Sensitive, name);
            text.ShouldNotContain("Npgsql", Case.Insensitive, name);
        }

        await LedgerStillAddsUp();
    }

    [Fact]
    public async Task After_the_sweep_the_ledger_still_adds_up_and_still_works()
    {
        await LedgerStillAddsUp();
        var admin = fixture.App.Admin();
        var reserve = await admin.Post($"{Base}/reservations", """{"amount":1}""");
        reserve.StatusCode.ShouldBe(HttpStatusCode.Created, await reserve.Content.ReadAsStringAsync(Ct));
        (await admin.Get("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task LedgerStillAddsUp()
    {
        var b = await LedgerTotals.Of(fixture.App, A);
        (b.Available + b.Reserved).ShouldBe(b.Granted - b.Consumed - b.Expired - b.Voided + b.Refunded);
        b.Reserved.ShouldBeGreaterThanOrEqualTo(0);
        b.Available.ShouldBeGreaterThanOrEqualTo(0);
    }
}
