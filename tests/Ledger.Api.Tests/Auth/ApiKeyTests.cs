using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Auth;

public sealed class ApiKeyApp(PostgresServer server) : SharedApp(server, "apikeys")
{
    /// <summary>Stripe configured, so the access matrix sees the webhook endpoint's own answers (not 503 not-configured).</summary>
    protected override IDictionary<string, string>? Settings => new Dictionary<string, string> { ["LEDGER_STRIPE_WEBHOOK_SECRET"] = "whsec_access_matrix" };
}

/// <summary>DESIGN "HTTP API v1", Auth: bearer keys with a readable prefix, stored only as hashes, shown once; scopes; account binding.</summary>
public sealed class ApiKeyTests(ApiKeyApp fixture) : IClassFixture<ApiKeyApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private async Task<JsonElement> CreateKey(string[] scopes, string? accountId = null, string name = "test")
    {
        var response = await App.Admin().PostAsJsonAsync("/v1/admin/api-keys", new { name, scopes, accountId }, Ct);
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Json();
    }

    private async Task<JsonElement> ListKeys()
    {
        var response = await App.Admin().Get("/v1/admin/api-keys");
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        return await response.Json();
    }

    private static JsonElement? Find(JsonElement list, string id) =>
        list.GetProperty("items").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(k => k!.Value.GetProperty("id").GetString() == id);

    private Task<LedgerTotals> Ledger(string accountId) => LedgerTotals.Of(App, accountId);

    [Fact]
    public async Task Without_an_Authorization_header_every_endpoint_answers_401_with_a_bearer_challenge()
    {
        var id = Raw.NewAccountId("anon");
        await App.OpenAccountAsync(id);
        await App.GrantAsync(id, 100);
        var before = await Ledger(id);
        var anonymous = App.ClientWith(null);

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
                 {
                     (HttpMethod.Get, $"/v1/accounts/{id}", null),
                     (HttpMethod.Get, $"/v1/accounts/{id}/balance", null),
                     (HttpMethod.Get, "/v1/plans", null),
                     (HttpMethod.Get, "/v1/admin/api-keys", null),
                     (HttpMethod.Post, $"/v1/accounts/{id}/reservations", """{"amount":5}"""),
                     (HttpMethod.Post, $"/v1/accounts/{id}/usage", """{"amount":5}"""),
                     (HttpMethod.Post, $"/v1/accounts/{id}/grants", """{"amount":5,"source":"manual","reason":"x"}"""),
                     (HttpMethod.Post, "/v1/accounts", """{"accountId":"anon-made","plan":"free"}"""),
                     (HttpMethod.Post, "/v1/admin/api-keys", """{"name":"anon-key","scopes":["admin"]}"""),
                 })
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            var response = await anonymous.SendAsync(request, Ct);
            var problem = await response.ShouldBeProblem(401, "api-key-missing");
            response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer", $"{method} {path}");
            problem.GetProperty("status").GetInt32().ShouldBe(401);
        }

        // Nothing happened: no hold, no usage, no grant, no account, no key.
        (await Ledger(id)).ShouldBe(before);
        (await App.Admin().Get("/v1/accounts/anon-made")).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
        (await ListKeys()).GetProperty("items").EnumerateArray().ShouldNotContain(k => k.GetProperty("name").GetString() == "anon-key");
    }

    [Theory]
    [InlineData("Bearer lk_live_this_key_was_never_issued_0000000000000000000")]
    [InlineData("Bearer " + LedgerApp.AdminKey + "x")]
    [InlineData("Bearer")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    [InlineData(LedgerApp.AdminKey)]
    public async Task An_unknown_or_malformed_key_answers_401_and_is_not_let_through(string authorization)
    {
        var client = App.ClientWith(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        var response = await client.Get("/v1/plans");
        await response.ShouldBeProblem(401, "api-key-invalid");
        response.Headers.WwwAuthenticate.ShouldContain(h => h.Scheme == "Bearer");

        var create = await client.Post("/v1/admin/api-keys", """{"name":"sneaky","scopes":["admin"]}""");
        await create.ShouldBeProblem(401, "api-key-invalid");
        (await ListKeys()).GetProperty("items").EnumerateArray().ShouldNotContain(k => k.GetProperty("name").GetString() == "sneaky");
    }

    [Fact]
    public async Task An_overlong_Authorization_header_answers_401_not_an_error()
    {
        var client = App.ClientWith("lk_live_" + new string('a', 5000));
        var response = await client.Get("/v1/plans");
        await response.ShouldBeProblem(401, "api-key-invalid");
    }

    [Fact]
    public async Task A_revoked_key_answers_401_on_the_very_next_request_and_other_keys_keep_working()
    {
        var created = await CreateKey(["ledger:read"]);
        var keyId = created.GetProperty("id").GetString()!;
        var client = App.ClientWith(created.GetProperty("secret").GetString());
        (await client.Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        var revoke = await App.Admin().Send(HttpMethod.Delete, $"/v1/admin/api-keys/{keyId}");
        revoke.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        var revoked = await revoke.Json();
        revoked.GetProperty("id").GetString().ShouldBe(keyId);
        revoked.GetProperty("revokedAt").ValueKind.ShouldBe(JsonValueKind.String);
        revoked.TryGetProperty("secret", out _).ShouldBeFalse();

        var after = await client.Get("/v1/plans");
        await after.ShouldBeProblem(401, "api-key-invalid");
        (await App.Admin().Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        // Revoking again is harmless and keeps the first revocation time.
        App.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await (await App.Admin().Send(HttpMethod.Delete, $"/v1/admin/api-keys/{keyId}")).Json();
        again.GetProperty("revokedAt").GetDateTimeOffset().ShouldBe(revoked.GetProperty("revokedAt").GetDateTimeOffset());
        Find(await ListKeys(), keyId)!.Value.GetProperty("revokedAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task A_key_revoked_on_one_node_stops_working_on_another_within_a_second()
    {
        // Keys are read at most once a second per process (ApiKeyCache); the second node shares the database and the clock.
        var created = await CreateKey(["ledger:read"]);
        await using var other = App.StartAnotherNode();
        var elsewhere = other.ClientWith(created.GetProperty("secret").GetString());
        (await elsewhere.Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK); // read and cached there

        (await App.Admin().Send(HttpMethod.Delete, $"/v1/admin/api-keys/{created.GetProperty("id").GetString()}")).EnsureSuccessStatusCode();
        App.Clock.Advance(TimeSpan.FromMilliseconds(999));
        (await elsewhere.Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK); // still within the second
        App.Clock.Advance(TimeSpan.FromMilliseconds(1));
        await (await elsewhere.Get("/v1/plans")).ShouldBeProblem(401, "api-key-invalid");
    }

    [Fact]
    public async Task Revoking_a_key_that_does_not_exist_answers_404()
    {
        var response = await App.Admin().Send(HttpMethod.Delete, "/v1/admin/api-keys/key_does_not_exist");
        await response.ShouldBeProblem(404, "api-key-not-found");
    }

    [Fact]
    public async Task A_read_only_key_reads_but_cannot_reserve_and_leaves_no_trace()
    {
        var id = Raw.NewAccountId("scope-read");
        await App.OpenAccountAsync(id);
        await App.GrantAsync(id, 100);
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        var before = await Ledger(id);

        (await reader.Get($"/v1/accounts/{id}")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await reader.Get($"/v1/accounts/{id}/balance")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        var reserve = await reader.Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-denied","amount":10}""");
        var problem = await reserve.ShouldBeProblem(403, "forbidden");
        problem.GetProperty("status").GetInt32().ShouldBe(403);
        reserve.Headers.WwwAuthenticate.ShouldBeEmpty();
        await (await reader.Post($"/v1/accounts/{id}/usage", """{"amount":10}""")).ShouldBeProblem(403, "forbidden");

        (await Ledger(id)).ShouldBe(before);
        (await App.Admin().Get($"/v1/accounts/{id}/reservations/r-denied")).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_write_key_cannot_grant_void_or_manage_keys_and_cannot_read()
    {
        var id = Raw.NewAccountId("scope-write");
        await App.OpenAccountAsync(id);
        await App.GrantAsync(id, 100, grantId: "g-1");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var before = await Ledger(id);

        await (await writer.Post($"/v1/accounts/{id}/grants", """{"amount":1000,"source":"manual","reason":"free money"}"""))
            .ShouldBeProblem(403, "forbidden");
        await (await writer.Post($"/v1/accounts/{id}/grants/g-1/void", """{"reason":"oops"}""")).ShouldBeProblem(403, "forbidden");
        await (await writer.Post("/v1/admin/api-keys", """{"name":"escalate","scopes":["admin"]}""")).ShouldBeProblem(403, "forbidden");
        await (await writer.Get("/v1/admin/api-keys")).ShouldBeProblem(403, "forbidden");
        await (await writer.Get($"/v1/accounts/{id}")).ShouldBeProblem(403, "forbidden");

        // What it may do, it does.
        (await writer.Post($"/v1/accounts/{id}/usage", """{"amount":7}""")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);

        var after = await Ledger(id);
        after.ShouldBe(before with { Version = before.Version + 1, Consumed = before.Consumed + 7, Available = before.Available - 7 });
        (await ListKeys()).GetProperty("items").EnumerateArray().ShouldNotContain(k => k.GetProperty("name").GetString() == "escalate");
    }

    [Fact]
    public async Task A_key_bound_to_one_account_sees_it_and_nothing_else()
    {
        var mine = Raw.NewAccountId("bound-mine");
        var theirs = Raw.NewAccountId("bound-theirs");
        await App.OpenAccountAsync(mine);
        await App.OpenAccountAsync(theirs);
        await App.GrantAsync(mine, 100);
        await App.GrantAsync(theirs, 100);
        var theirReservation = await App.Admin().Post($"/v1/accounts/{theirs}/reservations", """{"reservationId":"r-theirs","amount":5}""");
        theirReservation.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);

        var bound = App.ClientWith(await App.CreateKeyAsync(["ledger:read", "ledger:write"], mine));
        var theirsBefore = await Ledger(theirs);

        (await bound.Get($"/v1/accounts/{mine}")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await bound.Get($"/v1/accounts/{mine}/balance")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await bound.Post($"/v1/accounts/{mine}/reservations", """{"amount":5}""")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);

        // The other account exists, but to this key it does not.
        foreach (var response in new[]
                 {
                     await bound.Get($"/v1/accounts/{theirs}"),
                     await bound.Get($"/v1/accounts/{theirs}/balance"),
                     await bound.Get($"/v1/accounts/{theirs}/reservations/r-theirs"),
                     await bound.Post($"/v1/accounts/{theirs}/reservations", """{"amount":5}"""),
                     await bound.Post($"/v1/accounts/{theirs}/usage", """{"amount":5}"""),
                     await bound.Post($"/v1/accounts/{theirs}/reservations/r-theirs/commit", "{}"),
                     await bound.Post($"/v1/accounts/{theirs}/reservations/r-theirs/release", "{}"),
                 })
        {
            var problem = await response.ShouldBeProblem(404, "account-not-found");
            problem.GetRawText().ShouldNotContain("r-theirs");
        }
        // Nor can it open another account.
        (await bound.Post("/v1/accounts", Raw.Json(new { accountId = Raw.NewAccountId("bound-new"), plan = "free" })))
            .StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);

        (await Ledger(theirs)).ShouldBe(theirsBefore);
        var held = await (await App.Admin().Get($"/v1/accounts/{theirs}/reservations/r-theirs")).Json();
        held.GetProperty("status").GetString().ShouldBe("pending");
    }

    [Fact]
    public async Task A_key_bound_to_one_account_cannot_mint_a_key_that_escapes_the_binding()
    {
        var mine = Raw.NewAccountId("bound-admin");
        await App.OpenAccountAsync(mine);
        var boundAdmin = App.ClientWith(await App.CreateKeyAsync(["admin"], mine));

        var unbound = await boundAdmin.Post("/v1/admin/api-keys", """{"name":"escape-unbound","scopes":["admin"]}""");
        var elsewhere = await boundAdmin.Post("/v1/admin/api-keys", """{"name":"escape-other","scopes":["admin"],"accountId":"someone-else"}""");

        ((int)unbound.StatusCode).ShouldBeOneOf(403, 404);
        ((int)elsewhere.StatusCode).ShouldBeOneOf(403, 404);

        // Nor see, or revoke, keys that are not its account's.
        var list = await boundAdmin.Get("/v1/admin/api-keys");
        if (list.IsSuccessStatusCode)
            (await list.Json()).GetProperty("items").EnumerateArray().ShouldAllBe(k => k.GetProperty("accountId").GetString() == mine);
        else
            ((int)list.StatusCode).ShouldBeOneOf(403, 404);
        var victim = await CreateKey(["ledger:read"], name: "victim");
        var victimId = victim.GetProperty("id").GetString();
        ((int)(await boundAdmin.Send(HttpMethod.Delete, $"/v1/admin/api-keys/{victimId}")).StatusCode).ShouldBeOneOf(403, 404);
        (await App.ClientWith(victim.GetProperty("secret").GetString()).Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        (await ListKeys()).GetProperty("items").EnumerateArray()
            .ShouldNotContain(k => k.GetProperty("name").GetString()!.StartsWith("escape-"));
    }

    [Fact]
    public async Task Creating_a_key_shows_its_secret_once_and_the_list_never_does()
    {
        var created = await CreateKey(["ledger:read", "ledger:write"], name: "shown once");
        var secret = created.GetProperty("secret").GetString()!;
        var id = created.GetProperty("id").GetString()!;

        secret.ShouldStartWith("lk_live_");
        secret["lk_live_".Length..].Length.ShouldBeGreaterThanOrEqualTo(43);
        secret["lk_live_".Length..].ShouldMatch("^[A-Za-z0-9_-]+$");
        created.GetProperty("name").GetString().ShouldBe("shown once");
        created.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe(["ledger:read", "ledger:write"]);
        created.GetProperty("accountId").ValueKind.ShouldBe(JsonValueKind.Null);
        created.GetProperty("prefix").GetString().ShouldBe(secret[..12]);
        created.TryGetProperty("secretHash", out _).ShouldBeFalse();

        var second = await CreateKey(["ledger:read"]);
        second.GetProperty("secret").GetString().ShouldNotBe(secret);
        second.GetProperty("id").GetString().ShouldNotBe(id);

        // The secret works.
        (await App.ClientWith(secret).Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        var listResponse = await App.Admin().Get("/v1/admin/api-keys");
        var text = await listResponse.Content.ReadAsStringAsync(Ct);
        text.ShouldNotContain(secret);
        text.ShouldNotContain(Sha256Hex(secret), Case.Insensitive);
        text.ShouldNotContain(LedgerApp.AdminKey);
        text.ShouldNotContain(Sha256Hex(LedgerApp.AdminKey), Case.Insensitive);
        var listed = Find(JsonDocument.Parse(text).RootElement, id).ShouldNotBeNull();
        listed.TryGetProperty("secret", out _).ShouldBeFalse();
        listed.TryGetProperty("secretHash", out _).ShouldBeFalse();
        listed.GetProperty("prefix").GetString().ShouldBe(secret[..12]);
        listed.GetProperty("name").GetString().ShouldBe("shown once");

        var revoke = await (await App.Admin().Send(HttpMethod.Delete, $"/v1/admin/api-keys/{id}")).Content.ReadAsStringAsync(Ct);
        revoke.ShouldNotContain(secret);
        revoke.ShouldNotContain(Sha256Hex(secret), Case.Insensitive);
    }

    [Fact]
    public async Task The_database_keeps_only_the_SHA256_of_the_secret()
    {
        var created = await CreateKey(["ledger:read"], name: "hashed");
        var secret = created.GetProperty("secret").GetString()!;
        var id = created.GetProperty("id").GetString()!;

        var rows = await App.Query("select t::text as row from ledger.mt_doc_apikey t where t.id = @id", ("id", id));
        var row = rows.ShouldHaveSingleItem()["row"].ShouldBeOfType<string>();
        row.ShouldContain(Sha256Hex(secret));
        row.ShouldNotContain(secret);
        row.ShouldNotContain(secret["lk_live_".Length..]);

        // Nowhere else in the table either, for this key and the bootstrap admin key.
        var table = await App.Query("select string_agg(t::text, '\n') as all_rows from ledger.mt_doc_apikey t");
        var all = table.ShouldHaveSingleItem()["all_rows"].ShouldBeOfType<string>();
        all.ShouldNotContain(secret);
        all.ShouldNotContain(LedgerApp.AdminKey);
        all.ShouldContain(Sha256Hex(LedgerApp.AdminKey));
    }

    [Fact]
    public async Task LastUsedAt_is_empty_until_the_key_is_used_then_records_when()
    {
        var created = await CreateKey(["ledger:read"], name: "last used");
        var id = created.GetProperty("id").GetString()!;
        var client = App.ClientWith(created.GetProperty("secret").GetString());
        Find(await ListKeys(), id)!.Value.GetProperty("lastUsedAt").ValueKind.ShouldBe(JsonValueKind.Null);

        var firstUse = App.Clock.GetUtcNow();
        (await client.Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        Find(await ListKeys(), id)!.Value.GetProperty("lastUsedAt").GetDateTimeOffset().ShouldBe(firstUse, TimeSpan.FromSeconds(1));

        App.Clock.Advance(TimeSpan.FromMinutes(5));
        var secondUse = App.Clock.GetUtcNow();
        (await client.Get("/v1/plans")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
        var lastUsed = Find(await ListKeys(), id)!.Value.GetProperty("lastUsedAt").GetDateTimeOffset();
        lastUsed.ShouldBe(secondUse, TimeSpan.FromSeconds(1));
        lastUsed.ShouldBeGreaterThan(firstUse);

        // A failed attempt with another secret does not count as a use of this key.
        App.Clock.Advance(TimeSpan.FromMinutes(5));
        await (await App.ClientWith("lk_live_wrong").Get("/v1/plans")).ShouldBeProblem(401, "api-key-invalid");
        Find(await ListKeys(), id)!.Value.GetProperty("lastUsedAt").GetDateTimeOffset().ShouldBe(lastUsed);
    }

    [Theory]
    [InlineData("""{"name":"x","scopes":["root"]}""", "scopes")]
    [InlineData("""{"name":"x","scopes":["ledger:read","superuser"]}""", "scopes")]
    [InlineData("""{"name":"x","scopes":[]}""", "scopes")]
    [InlineData("""{"name":"x"}""", "scopes")]
    [InlineData("""{"name":"x","scopes":"admin"}""", "scopes")]
    [InlineData("""{"scopes":["admin"]}""", "name")]
    [InlineData("""{"name":"","scopes":["admin"]}""", "name")]
    [InlineData("""{"name":"x","scopes":["admin"],"accountId":"bad id!"}""", "accountId")]
    public async Task Creating_a_key_with_an_invalid_body_is_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var before = (await ListKeys()).GetProperty("items").GetArrayLength();

        var response = await App.Admin().Post("/v1/admin/api-keys", body);
        var problem = await response.ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(field, out var messages).ShouldBeTrue(problem.GetRawText());
        messages.GetArrayLength().ShouldBeGreaterThan(0);
        problem.GetRawText().ShouldNotContain("lk_live_");

        (await ListKeys()).GetProperty("items").GetArrayLength().ShouldBe(before);
    }

    private static string Sha256Hex(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
