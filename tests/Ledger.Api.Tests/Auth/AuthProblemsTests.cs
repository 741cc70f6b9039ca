using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Auth;

/// <summary>Issue 14, item 6: a 401 says whether the key was missing or invalid (and why); a 403 names the scope required.</summary>
public sealed class AuthProblemsTests(ApiKeyApp fixture) : IClassFixture<ApiKeyApp>
{
    private LedgerApp App => fixture.App;

    [Fact]
    public async Task A_401_tells_a_missing_key_from_an_invalid_one_and_says_why()
    {
        var missing = await (await App.ClientWith(null).Get("/v1/plans")).ShouldBeProblem(401, "api-key-missing");
        missing.GetProperty("detail").GetString()!.ShouldContain("Authorization: Bearer");

        var unknown = await (await App.ClientWith("lk_live_not_issued").Get("/v1/plans")).ShouldBeProblem(401, "api-key-invalid");
        unknown.GetProperty("reason").GetString().ShouldBe("unknown");

        var basic = App.ClientWith(null);
        basic.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic YWRtaW46YWRtaW4=");
        (await (await basic.Get("/v1/plans")).ShouldBeProblem(401, "api-key-invalid")).GetProperty("reason").GetString().ShouldBe("malformed");

        var secret = await App.CreateKeyAsync(["ledger:read"]);
        var keys = await (await App.Admin().Get("/v1/admin/api-keys")).Json();
        var id = keys.GetProperty("items").EnumerateArray().Single(k => secret.StartsWith(k.GetProperty("prefix").GetString()!, StringComparison.Ordinal)).GetProperty("id").GetString();
        (await App.Admin().Send(HttpMethod.Delete, $"/v1/admin/api-keys/{id}")).EnsureSuccessStatusCode();
        var revoked = await (await App.ClientWith(secret).Get("/v1/plans")).ShouldBeProblem(401, "api-key-invalid");
        revoked.GetProperty("reason").GetString().ShouldBe("revoked");
        revoked.GetRawText().ShouldNotContain(secret);
    }

    [Fact]
    public async Task A_403_names_the_scope_required_and_the_scopes_the_key_has()
    {
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        var write = await (await reader.Post("/v1/accounts/someone/usage", """{"amount":1}""")).ShouldBeProblem(403, "forbidden");
        write.GetProperty("requiredScope").GetString().ShouldBe("ledger:write");
        write.GetProperty("keyScopes").EnumerateArray().Select(s => s.GetString()).ShouldBe(["ledger:read"]);
        write.GetProperty("detail").GetString()!.ShouldContain("ledger:write");

        var admin = await (await reader.Get("/v1/admin/api-keys")).ShouldBeProblem(403, "forbidden");
        admin.GetProperty("requiredScope").GetString().ShouldBe("admin");
    }
}
