using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Api.Auth;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Auth;

/// <summary>
/// Who may call what, generated: every operation of the service's own OpenAPI document, with the scope its endpoint
/// declares (the routing table's authorization metadata), is called with every kind of credential: none, malformed,
/// unknown, revoked, read, write and admin keys, and read/write/admin keys bound to this account and to another one.
/// The expected answer is derived, never listed: 401 <c>api-key-missing</c> / <c>api-key-invalid</c> (with its
/// reason), 403 <c>forbidden</c> naming the missing scope, 403 <c>key-bound-to-account</c> for an admin endpoint that
/// reaches across accounts, 404 <c>account-not-found</c> for an account a bound key may not see, and otherwise an
/// answer from the endpoint itself (a read of the account is 2xx). A new endpoint is in the matrix by itself.
/// </summary>
public sealed class AccessMatrixTests(ApiKeyApp fixture) : IClassFixture<ApiKeyApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    /// <summary>One operation: <see cref="Scope"/> is null for an endpoint open to anyone (Stripe webhook, health, problems).</summary>
    private sealed record Operation(string Method, string Pattern, string? Scope)
    {
        public bool NamesAccount => Pattern.Contains("{accountId}", StringComparison.Ordinal);
        public bool HasOtherParameters => Regex.Replace(Pattern, "{accountId}", "").Contains('{');
        public string Path(string account) => Regex.Replace(Pattern.Replace("{accountId}", account), "{[^}]+}", "matrix-probe");
        public override string ToString() => $"{Method} {Pattern}";
    }

    /// <summary>A credential: its header (null: none), the scope it holds and the account it is bound to ("this"/"other").</summary>
    private sealed record Credential(string Name, string? Authorization, string? Scope = null, string? Bound = null, string? Rejected = null);

    private async Task<List<Operation>> Operations()
    {
        var scopes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var scope = e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null && Scopes.All.Contains(p));
            if (scope is null) continue;
            foreach (var method in e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                scopes[$"{method} /{e.RoutePattern.RawText!.TrimStart('/')}"] = scope;
        }
        var document = JsonDocument.Parse(await (await App.Admin().GetAsync("/openapi/v1.json", Ct)).Content.ReadAsStringAsync(Ct)).RootElement;
        var operations = new List<Operation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject())
        {
            var method = operation.Name.ToUpperInvariant();
            if (method is "PARAMETERS" or "SUMMARY" or "DESCRIPTION") continue;
            operations.Add(new Operation(method, path.Name, scopes.GetValueOrDefault($"{method} {path.Name}")));
        }
        // every keyed endpoint of the routing table is documented, so the matrix covers it
        scopes.Keys.ShouldBeSubsetOf(operations.Select(o => o.ToString()));
        return operations.OrderBy(o => o.Pattern, StringComparer.Ordinal).ThenBy(o => o.Method, StringComparer.Ordinal).ToList();
    }

    private async Task<List<Credential>> Credentials(string mine, string theirs)
    {
        var revoked = await App.Admin().PostAsJsonAsync("/v1/admin/api-keys", new { name = "matrix-revoked", scopes = new[] { Scopes.Admin } }, Ct);
        var revokedKey = await revoked.Json();
        (await App.Admin().DeleteAsync($"/v1/admin/api-keys/{revokedKey.GetProperty("id").GetString()}", Ct)).EnsureSuccessStatusCode();
        var credentials = new List<Credential>
        {
            new("no key", null),
            new("malformed", "Basic bWF0cml4OnByb2Jl", Rejected: "malformed"),
            new("unknown key", "Bearer lk_live_" + new string('0', 43), Rejected: "unknown"),
            new("revoked admin key", "Bearer " + revokedKey.GetProperty("secret").GetString(), Rejected: "revoked"),
        };
        foreach (var scope in Scopes.All)
        {
            credentials.Add(new($"{scope} key", "Bearer " + await App.CreateKeyAsync([scope]), scope));
            credentials.Add(new($"{scope} key bound to this account", "Bearer " + await App.CreateKeyAsync([scope], mine), scope, "this"));
            credentials.Add(new($"{scope} key bound to another account", "Bearer " + await App.CreateKeyAsync([scope], theirs), scope, "other"));
        }
        return credentials;
    }

    private Task<HttpResponseMessage> Send(Operation operation, Credential credential, string account)
    {
        var request = new HttpRequestMessage(new HttpMethod(operation.Method), operation.Path(account));
        // at most a 400 or 404: nothing is created (the account's version is compared at the end)
        if (operation.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        if (credential.Authorization is { } header) request.Headers.TryAddWithoutValidation("Authorization", header);
        return App.Server.CreateClient().SendAsync(request, Ct);
    }

    /// <summary>The answer the rules call for, or null when it is the endpoint's own (then checked by <see cref="CheckOwnAnswer"/>).</summary>
    private static (int Status, string Type)? Expected(Operation operation, Credential credential)
    {
        if (operation.Scope is null) return null; // open to anyone: a credential, good or bad, changes nothing
        if (credential.Authorization is null) return (401, "api-key-missing");
        if (credential.Rejected is not null) return (401, "api-key-invalid");
        if (credential.Scope != Scopes.Admin && credential.Scope != operation.Scope) return (403, "forbidden");
        if (credential.Bound is null) return null;
        if (!operation.NamesAccount) return operation.Scope == Scopes.Admin ? (403, "key-bound-to-account") : null;
        if (credential.Bound == "other" && operation.Method == "GET") return (404, "account-not-found");
        return null;
    }

    [Fact]
    public async Task Every_operation_answers_every_kind_of_key_by_its_declared_scope_and_the_key_binding()
    {
        var account = Raw.NewAccountId("matrix");
        var other = Raw.NewAccountId("matrix-other");
        await App.OpenAccountAsync(account);
        await App.OpenAccountAsync(other);
        await App.GrantAsync(account, 100);
        var operations = await Operations();
        new[] { "GET /v1/accounts", "GET /v1/accounts/{accountId}/reservations", "POST /v1/accounts/{accountId}/reservations",
                "GET /v1/admin/stripe-events", "DELETE /v1/admin/api-keys/{keyId}", "POST /v1/webhooks/stripe" }
            .ShouldBeSubsetOf(operations.Select(o => o.ToString()));
        var credentials = await Credentials(account, other);
        var before = (await LedgerTotals.Of(App, account), await LedgerTotals.Of(App, other));

        var failures = new List<string>();
        var calls = 0;
        foreach (var operation in operations)
        foreach (var credential in credentials)
        {
            var response = await Send(operation, credential, account);
            calls++;
            var text = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            var what = $"{operation} with {credential.Name}: {status} {text[..Math.Min(240, text.Length)]}";
            if (status >= 500) failures.Add(what);
            else if (Expected(operation, credential) is var (expectedStatus, type))
            {
                if (status != expectedStatus || ProblemType(response, text) != type) failures.Add($"expected {expectedStatus} {type}; {what}");
                else if (type == "forbidden" && JsonDocument.Parse(text).RootElement.GetProperty("requiredScope").GetString() != operation.Scope)
                    failures.Add($"the 403 names another scope than {operation.Scope}; {what}");
                else if (type == "api-key-invalid" && JsonDocument.Parse(text).RootElement.GetProperty("reason").GetString() != credential.Rejected)
                    failures.Add($"expected reason {credential.Rejected}; {what}");
            }
            else if (CheckOwnAnswer(operation, credential, response, status, text) is { } failure) failures.Add($"{failure}; {what}");
        }

        failures.ShouldBeEmpty($"{failures.Count} of {calls} calls answered otherwise than the scope and binding call for");
        (await LedgerTotals.Of(App, account), await LedgerTotals.Of(App, other)).ShouldBe(before);
        TestContext.Current.TestOutputHelper?.WriteLine($"{operations.Count} operations x {credentials.Count} credentials = {calls} calls");
        Reliability.RunReport.Record("access matrix", $"{operations.Count} operations x {credentials.Count} credentials", calls, "every answer as scope and binding call for");
    }

    /// <summary>
    /// Authorized (or open): never 401/403; a read of the account itself (no other id in the path) is 2xx; a read of
    /// something in it is 2xx or 404 naming that thing, never the account; a bound key's write to another account
    /// is refused (400 for the body, or 404: nothing of the account shows).
    /// </summary>
    private static string? CheckOwnAnswer(Operation operation, Credential credential, HttpResponseMessage response, int status, string text)
    {
        if (operation.Scope is not null && status is 401 or 403) return "refused although the key holds the scope";
        if (status >= 400 && ProblemType(response, text) is null) return "an error that is not a problem document";
        if (operation.Scope is null || !operation.NamesAccount) return null;
        if (credential.Bound == "other") return status is 400 or 404 ? null : "a write reached an account the key may not see";
        if (operation.Method != "GET") return null;
        if (!operation.HasOtherParameters) return status is >= 200 and < 300 ? null : "a read of a visible account failed";
        return status is >= 200 and < 300 || (status == 404 && ProblemType(response, text) != "account-not-found")
            ? null : "a read of a visible account failed";
    }

    private static string? ProblemType(HttpResponseMessage response, string text)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return null;
        var problem = JsonDocument.Parse(text).RootElement;
        if (!problem.TryGetProperty("title", out _) || !problem.TryGetProperty("status", out var s) || s.GetInt32() != (int)response.StatusCode) return null;
        return problem.TryGetProperty("type", out var type) && type.GetString() is { } t && t.StartsWith("/problems/", StringComparison.Ordinal)
            ? t["/problems/".Length..] : null;
    }
}
