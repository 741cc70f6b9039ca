using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

public sealed class ProblemDetailsApp(PostgresServer server) : SharedApp(server, "problems");

/// <summary>
/// DESIGN "HTTP API v1": RFC 9457 problem details for every error; validation errors are 400 with an <c>errors</c> map
/// per field; no request ever yields a 500 for anything a client can send.
/// </summary>
public sealed class ProblemDetailsTests(ProblemDetailsApp fixture) : IClassFixture<ProblemDetailsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private async Task<string> FundedAccount(string prefix)
    {
        var id = Raw.NewAccountId(prefix);
        await App.OpenAccountAsync(id, "starter");
        await App.GrantAsync(id, 1000);
        return id;
    }

    /// <summary>A 400 whose errors map names <paramref name="field"/>; the account is left as it was.</summary>
    private async Task<JsonElement> ShouldBeFieldError(HttpResponseMessage response, string field, string code = "validation")
    {
        var problem = await response.ShouldBeProblem(400, code);
        problem.GetProperty("status").GetInt32().ShouldBe(400);
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        problem.GetProperty("errors").TryGetProperty(field, out var messages).ShouldBeTrue($"errors.{field} missing: {problem.GetRawText()}");
        messages.EnumerateArray().ShouldNotBeEmpty();
        messages.EnumerateArray().ShouldAllBe(m => !string.IsNullOrWhiteSpace(m.GetString()));
        return problem;
    }

    [Theory]
    [InlineData("""{"amount": """)]
    [InlineData("""{"amount":10""")]
    [InlineData("{amount:10}")]
    [InlineData("""{"amount":10,}""")]
    [InlineData("not json at all")]
    [InlineData("{'amount':10}")]
    [InlineData("""{"amount":10}}""")]
    [InlineData("""{"amount":10}{"amount":10}""")]
    [InlineData("\uFEFF\uFEFF{}")]
    public async Task Malformed_JSON_is_a_400_problem_with_errors_and_changes_nothing(string body)
    {
        var id = await FundedAccount("malformed");
        var before = await LedgerTotals.Of(App, id);

        var response = await App.Admin().Post($"/v1/accounts/{id}/reservations", body);
        var text = await response.Content.ReadAsStringAsync(Ct);
        ((int)response.StatusCode).ShouldBe(400, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("type").GetString().ShouldBeOneOf("/problems/malformed-request", "/problems/validation");
        problem.GetProperty("errors").EnumerateObject().ShouldNotBeEmpty();
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Theory]
    [InlineData("""{"amount": """)]
    [InlineData("""{"amount":10""")]
    public async Task A_truncated_body_is_blamed_on_the_body_not_on_a_field(string body)
    {
        var id = await FundedAccount("truncated");
        var response = await App.Admin().Post($"/v1/accounts/{id}/reservations", body);
        var problem = await response.ShouldBeProblem(400, "malformed-request");
        problem.GetProperty("errors").TryGetProperty("body", out _).ShouldBeTrue(problem.GetRawText());
        problem.GetProperty("errors").TryGetProperty("amount", out _).ShouldBeFalse(problem.GetRawText());
    }

    [Fact]
    public async Task A_state_conflict_problem_has_one_numeric_status_and_names_the_state_elsewhere()
    {
        var id = await FundedAccount("state");
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"p","amount":10}""")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"/v1/accounts/{id}/reservations/p/commit", "{}")).EnsureSuccessStatusCode();

        foreach (var response in new[]
                 {
                     await App.Admin().Post($"/v1/accounts/{id}/reservations/p/commit", """{"amount":3}"""),
                     await App.Admin().Post($"/v1/accounts/{id}/reservations/p/release", "{}"),
                     await App.Admin().Post($"/v1/accounts/{id}/reservations/p/extend", """{"ttlSeconds":60}"""),
                 })
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            await response.ShouldBeProblem(409, "reservation-committed");
            using var reader = JsonDocument.Parse(text);
            reader.RootElement.EnumerateObject().Count(p => p.Name == "status").ShouldBe(1, text);
            reader.RootElement.GetProperty("status").GetInt32().ShouldBe(409, text);
            text.ShouldContain("committed");
        }
    }

    [Fact]
    public async Task A_JSON_array_or_scalar_instead_of_an_object_is_400()
    {
        var id = await FundedAccount("array");
        var before = await LedgerTotals.Of(App, id);

        foreach (var body in new[] { """[{"amount":10}]""", "[]", "10", "\"amount\"", "true" })
        {
            var response = await App.Admin().Post($"/v1/accounts/{id}/reservations", body);
            var problem = await response.ShouldBeProblem(400, "malformed-request");
            problem.GetProperty("errors").TryGetProperty("body", out _).ShouldBeTrue(body);
        }
        // A literal null is a body that is absent.
        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/reservations", "null"), "body");
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Theory]
    [InlineData("""{"amount":"ten"}""")]
    [InlineData("""{"amount":10.5}""")]
    [InlineData("""{"amount":true}""")]
    [InlineData("""{"amount":[10]}""")]
    [InlineData("""{"amount":{"value":10}}""")]
    [InlineData("""{"amount":99999999999999999999}""")]
    [InlineData("""{"amount":9223372036854775808}""")]
    [InlineData("""{"amount":-9223372036854775809}""")]
    [InlineData("""{"amount":1e400}""")]
    public async Task An_amount_of_the_wrong_type_or_beyond_64_bits_is_400_naming_amount(string body)
    {
        var id = await FundedAccount("amount-type");
        var before = await LedgerTotals.Of(App, id);

        foreach (var path in new[] { $"/v1/accounts/{id}/reservations", $"/v1/accounts/{id}/usage" })
            await ShouldBeFieldError(await App.Admin().Post(path, body), "amount");
        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/grants", body.Replace("}", ""","source":"manual","reason":"x"}""")), "amount");

        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task An_unknown_field_is_400_naming_it()
    {
        var id = await FundedAccount("unknown-field");
        var before = await LedgerTotals.Of(App, id);

        foreach (var (path, body) in new[]
                 {
                     ($"/v1/accounts/{id}/reservations", """{"amount":10,"colour":"red"}"""),
                     ($"/v1/accounts/{id}/usage", """{"colour":"red","amount":10}"""),
                     ($"/v1/accounts/{id}/grants", """{"amount":10,"source":"manual","reason":"x","colour":"red"}"""),
                     ("/v1/accounts", """{"accountId":"unknown-field-new","plan":"free","colour":"red"}"""),
                     ("/v1/admin/api-keys", """{"name":"k","scopes":["admin"],"colour":"red"}"""),
                 })
        {
            var response = await App.Admin().Post(path, body);
            var problem = await response.ShouldBeProblem(400, "validation");
            problem.GetProperty("errors").TryGetProperty("colour", out _).ShouldBeTrue($"{path}: {problem.GetRawText()}");
        }
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
        (await App.Admin().Get("/v1/accounts/unknown-field-new")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("reservations", """{"amount":1,"metadata":{"k":"a\u0000b"}}""", "metadata")]
    [InlineData("reservations", """{"amount":1,"metadata":{"\u0000":"v"}}""", "metadata")]
    [InlineData("usage", """{"amount":1,"metadata":{"k":"\u0000"}}""", "metadata")]
    [InlineData("grants", """{"amount":10,"source":"manual","reason":"a\u0000b"}""", "reason")]
    [InlineData("grants", """{"amount":10,"source":"manual","reason":"x","reference":"\u0000"}""", "reference")]
    [InlineData("reservations/held/commit", """{"receiptId":"\u0000"}""", "receiptId")]
    [InlineData("reservations/held/release", """{"reason":"\u0000"}""", "reason")]
    [InlineData("refunds", """{"usageId":"used","amount":1,"reason":"\u0000"}""", "reason")]
    public async Task A_NUL_character_in_a_text_field_is_400_naming_it_and_writes_nothing(string endpoint, string body, string field)
    {
        var id = await FundedAccount("nul");
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"held","amount":10}""")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"/v1/accounts/{id}/usage", """{"usageId":"used","amount":10}""")).EnsureSuccessStatusCode();
        var before = await LedgerTotals.Of(App, id);

        var problem = await (await App.Admin().Post($"/v1/accounts/{id}/{endpoint}", body)).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").EnumerateObject().ShouldContain(e => e.Name.StartsWith(field), problem.GetRawText());

        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task A_NUL_character_in_an_account_or_a_key_is_400_and_creates_nothing()
    {
        var accountId = Raw.NewAccountId("nul-account");
        await (await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan = "free", metadata = new Dictionary<string, string> { ["k"] = "\0" } })))
            .ShouldBeProblem(400, "validation");
        await (await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan = "free", stripeCustomerId = "cus_\0" })))
            .ShouldBeProblem(400, "validation");
        (await App.Admin().Get($"/v1/accounts/{accountId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var name = "nul-key-" + Guid.NewGuid().ToString("N");
        await (await App.Admin().Post("/v1/admin/api-keys", Raw.Json(new { name = name + "\0", scopes = new[] { "ledger:read" } })))
            .ShouldBeProblem(400, "validation");
        (await (await App.Admin().Get("/v1/admin/api-keys")).Content.ReadAsStringAsync(Ct)).ShouldNotContain(name);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task A_body_that_is_not_JSON_is_415_unsupported_media_type(string? contentType)
    {
        var id = await FundedAccount("media-type");
        var before = await LedgerTotals.Of(App, id);

        var response = await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"amount":10}""", contentType);
        var problem = await response.ShouldBeProblem(415, "unsupported-media-type");
        problem.GetProperty("status").GetInt32().ShouldBe(415);
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task A_JSON_media_type_with_a_charset_or_a_json_suffix_is_accepted()
    {
        var id = await FundedAccount("media-type-ok");
        (await App.Admin().Post($"/v1/accounts/{id}/usage", """{"amount":1}""", "application/json; charset=utf-8")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await App.Admin().Post($"/v1/accounts/{id}/usage", """{"amount":1}""", "application/vnd.ledger+json")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_body_over_1_MiB_is_413_payload_too_large_and_changes_nothing()
    {
        var id = await FundedAccount("too-large");
        var before = await LedgerTotals.Of(App, id);
        var padding = new string('x', 1024 * 1024);

        var response = await App.Admin().Post($"/v1/accounts/{id}/reservations", "{\"amount\":10,\"metadata\":{\"pad\":\"" + padding + "\"}}");
        var problem = await response.ShouldBeProblem(413, "payload-too-large");
        problem.GetProperty("status").GetInt32().ShouldBe(413);

        // Just under the limit is read (and then refused for what it says, not for its size).
        var underLimit = "{\"amount\":10,\"metadata\":{\"pad\":\"" + new string('x', 1024 * 1024 - 100) + "\"}}";
        var small = await App.Admin().Post($"/v1/accounts/{id}/reservations", underLimit);
        await ShouldBeFieldError(small, "metadata");

        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/v1/nope")]
    [InlineData("/v1/accounts/a/nope")]
    [InlineData("/v2/plans")]
    [InlineData("/index.html")]
    public async Task An_unknown_route_is_404_not_found_as_problem_JSON_never_HTML(string path)
    {
        foreach (var client in new[] { App.Admin(), App.ClientWith(null) })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
            var response = await client.SendAsync(request, Ct);
            var problem = await response.ShouldBeProblem(404, "not-found");
            problem.GetProperty("status").GetInt32().ShouldBe(404);
            (await response.Content.ReadAsStringAsync(Ct)).ShouldNotContain("<html", Case.Insensitive);
        }
        var post = await App.Admin().Post(path, """{"amount":1}""");
        await post.ShouldBeProblem(404, "not-found");
    }

    [Theory]
    [InlineData("/nope", "{", "application/json", 404, "not-found")]
    [InlineData("/nope", "hello", "text/plain", 404, "not-found")]
    [InlineData("/v1/plans", "{", "application/json", 405, "method-not-allowed")]
    public async Task A_path_no_endpoint_serves_is_404_or_405_whatever_the_body(string path, string body, string contentType, int status, string code)
    {
        await (await App.Admin().Post(path, body, contentType)).ShouldBeProblem(status, code);
    }

    [Theory]
    [InlineData("DELETE", "/v1/accounts/someone")]
    [InlineData("PUT", "/v1/plans")]
    [InlineData("PATCH", "/v1/accounts/someone/reservations/r1")]
    [InlineData("GET", "/v1/accounts/someone/reservations/r1/commit")]
    [InlineData("DELETE", "/v1/accounts")]
    [InlineData("PUT", "/v1/admin/api-keys")]
    public async Task A_wrong_method_is_405_method_not_allowed(string method, string path)
    {
        var response = await App.Admin().Send(new HttpMethod(method), path);
        var problem = await response.ShouldBeProblem(405, "method-not-allowed");
        problem.GetProperty("status").GetInt32().ShouldBe(405);
    }

    [Theory]
    [InlineData("bad id!")]
    [InlineData("with space")]
    [InlineData("slash/inside")]
    [InlineData("ünïcödé")]
    [InlineData("")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65
    public async Task An_invalid_account_id_is_400_naming_accountId_and_opens_nothing(string accountId)
    {
        var response = await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan = "free" }));
        await ShouldBeFieldError(response, "accountId");
        if (accountId.Length > 0 && !accountId.Contains('/'))
            (await App.Admin().Get($"/v1/accounts/{Uri.EscapeDataString(accountId)}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_longest_valid_account_id_is_accepted()
    {
        var accountId = "a." + Guid.NewGuid().ToString("N") + new string('z', 64 - 34);
        accountId.Length.ShouldBe(64);
        (await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan = "free" }))).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("gold")]
    [InlineData("FREE")]
    [InlineData("pack_500")]
    [InlineData("")]
    public async Task An_unknown_plan_is_400_naming_plan(string plan)
    {
        var accountId = Raw.NewAccountId("plan");
        var problem = await ShouldBeFieldError(await App.Admin().Post("/v1/accounts", Raw.Json(new { accountId, plan })), "plan");
        if (plan.Length > 0) problem.GetProperty("errors").GetProperty("plan")[0].GetString()!.ShouldContain("free");
        (await App.Admin().Get($"/v1/accounts/{accountId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-9223372036854775808)]
    [InlineData(1_000_000_000_000_001)]
    public async Task Zero_negative_and_oversized_amounts_are_400_everywhere(long amount)
    {
        var id = await FundedAccount("zero");
        var reserve = await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"held","amount":10}""");
        reserve.StatusCode.ShouldBe(HttpStatusCode.Created);
        var usage = await App.Admin().Post($"/v1/accounts/{id}/usage", """{"usageId":"used","amount":10}""");
        usage.StatusCode.ShouldBe(HttpStatusCode.Created);
        var before = await LedgerTotals.Of(App, id);

        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/reservations", Raw.Json(new { amount })), "amount");
        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/usage", Raw.Json(new { amount })), "amount");
        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/grants", Raw.Json(new { amount, source = "manual", reason = "x" })), "amount");
        await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/refunds", Raw.Json(new { usageId = "used", amount, reason = "x" })), "amount");
        if (amount != 0) // a commit of 0 is allowed: the operation cost nothing
            await ShouldBeFieldError(await App.Admin().Post($"/v1/accounts/{id}/reservations/held/commit", Raw.Json(new { amount })), "amount");

        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task A_commit_or_release_with_an_empty_JSON_body_uses_the_defaults()
    {
        var id = await FundedAccount("empty-body");
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-a","amount":10}""")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-b","amount":10}""")).EnsureSuccessStatusCode();

        var commit = await App.Admin().Post($"/v1/accounts/{id}/reservations/r-a/commit", "");
        commit.StatusCode.ShouldBe(HttpStatusCode.OK, await commit.Content.ReadAsStringAsync(Ct));
        (await commit.Json()).GetProperty("committed").GetInt64().ShouldBe(10);
        var release = await App.Admin().Post($"/v1/accounts/{id}/reservations/r-b/release", "{}");
        release.StatusCode.ShouldBe(HttpStatusCode.OK, await release.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_commit_or_release_with_no_body_at_all_uses_the_defaults()
    {
        var id = await FundedAccount("no-body");
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-a","amount":10}""")).EnsureSuccessStatusCode();
        (await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-b","amount":10}""")).EnsureSuccessStatusCode();

        var commit = await App.Admin().Post($"/v1/accounts/{id}/reservations/r-a/commit", null);
        commit.StatusCode.ShouldBe(HttpStatusCode.OK, await commit.Content.ReadAsStringAsync(Ct));
        var release = await App.Admin().Post($"/v1/accounts/{id}/reservations/r-b/release", null);
        release.StatusCode.ShouldBe(HttpStatusCode.OK, await release.Content.ReadAsStringAsync(Ct));
        (await LedgerTotals.Of(App, id)).Reserved.ShouldBe(0);
    }

    [Fact]
    public async Task Every_problem_type_is_described_at_its_URI()
    {
        foreach (var (code, status) in new[]
                 {
                     ("validation", 400), ("malformed-request", 400), ("unsupported-media-type", 415), ("payload-too-large", 413),
                     ("not-found", 404), ("method-not-allowed", 405), ("api-key-missing", 401), ("api-key-invalid", 401), ("forbidden", 403),
                     ("idempotency-key-reused", 422), ("request-in-progress", 409), ("account-not-found", 404),
                     ("account-exists", 409), ("insufficient-credits", 402), ("reservation-not-found", 404),
                     ("refund-exceeds-consumed", 422), ("id-conflict", 409), ("api-key-not-found", 404),
                 })
        {
            var response = await App.ClientWith(null).Get($"/problems/{code}");
            response.StatusCode.ShouldBe(HttpStatusCode.OK, code);
            var described = await response.Json();
            described.GetProperty("type").GetString().ShouldBe($"/problems/{code}");
            described.GetProperty("status").GetInt32().ShouldBe(status, code);
            described.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        }
        await (await App.ClientWith(null).Get("/problems/no-such-problem")).ShouldBeProblem(404, "not-found");
    }

    [Fact]
    public async Task Every_type_the_service_answers_with_is_documented()
    {
        // Problems produced in this class's other tests are documented too: sample a few live ones.
        var id = await FundedAccount("documented");
        var live = new[]
        {
            await App.Admin().Post($"/v1/accounts/{id}/reservations", "{"),
            await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"amount":0}"""),
            await App.Admin().Post($"/v1/accounts/{id}/reservations", """{"amount":1000000000000000}"""),
            await App.Admin().Get($"/v1/accounts/{id}/reservations/none"),
            await App.Admin().Get("/v1/accounts/nobody-here"),
            await App.Admin().Post($"/v1/accounts/{id}/grants/none/void", """{"reason":"x"}"""),
        };
        foreach (var response in live)
        {
            ((int)response.StatusCode).ShouldBeGreaterThanOrEqualTo(400);
            var type = (await response.Json()).GetProperty("type").GetString()!;
            type.ShouldStartWith("/problems/");
            var described = await App.ClientWith(null).Get(type);
            described.StatusCode.ShouldBe(HttpStatusCode.OK, type);
            (await described.Json()).GetProperty("status").GetInt32().ShouldBe((int)response.StatusCode, type);
        }
    }
}
