using System.Text;
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
/// DESIGN "HTTP API v1", Auth: a key bound to one account sees only that account. Admin endpoints that name no account
/// in their path (Stripe events, reconciliation, API keys, and any added later) reach across accounts, so a bound key
/// is refused there with 403 <c>key-bound-to-account</c> before the endpoint runs. The endpoints are taken from the
/// running app's routing table, not from a list kept by hand.
/// </summary>
public sealed class AccountBoundKeyTests(ApiKeyApp fixture) : IClassFixture<ApiKeyApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private sealed record Route(string Method, string Pattern, string Path);

    /// <summary>Every endpoint that needs the admin scope and has no <c>{accountId}</c> in its route, with its parameters filled in.</summary>
    private List<Route> AdminRoutesWithoutAnAccount() =>
        App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Scopes.Admin))
            .Where(e => e.RoutePattern.GetParameter("accountId") is null)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => new Route(method, e.RoutePattern.RawText!, Fill(e.RoutePattern.RawText!))))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();

    private static string Fill(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, "{[^}]+}", "bound-key-probe");

    private static Task<HttpResponseMessage> Send(HttpClient client, Route route)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
        if (route.Method is "POST" or "PUT" or "PATCH")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json"); // an unbound key gets 400: nothing is created
        return client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Every_admin_endpoint_without_an_account_in_its_path_refuses_a_bound_admin_key_with_403()
    {
        var mine = Raw.NewAccountId("bound-admin");
        await App.OpenAccountAsync(mine);
        var bound = App.ClientWith(await App.CreateKeyAsync(["admin"], mine));
        var unbound = App.Admin();
        var routes = AdminRoutesWithoutAnAccount();

        // the enumeration found what is known today (and will find what is added later)
        new[]
        {
            "GET /v1/admin/stripe-events", "GET /v1/admin/stripe-events/{eventId}", "POST /v1/admin/stripe-events/{eventId}/replay",
            "GET /v1/admin/reconciliation", "GET /v1/admin/api-keys", "POST /v1/admin/api-keys", "DELETE /v1/admin/api-keys/{keyId}",
        }.ShouldBeSubsetOf(routes.Select(r => $"{r.Method} {r.Pattern}"));

        foreach (var route in routes)
        {
            var refused = await Send(bound, route);
            var problem = await refused.ShouldBeProblem(403, "key-bound-to-account");
            problem.GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
            refused.Headers.WwwAuthenticate.ShouldBeEmpty();

            // the same request with an unbound admin key is not refused: the rule is about the binding, not the scope
            var allowed = await Send(unbound, route);
            ((int)allowed.StatusCode).ShouldNotBe(403, $"{route.Method} {route.Path}: {await allowed.Content.ReadAsStringAsync(Ct)}");
        }
    }

    [Fact]
    public async Task A_bound_admin_key_still_administers_its_own_account_and_only_that_one()
    {
        var mine = Raw.NewAccountId("bound-own");
        var theirs = Raw.NewAccountId("bound-other");
        await App.OpenAccountAsync(mine);
        await App.OpenAccountAsync(theirs);
        var bound = App.ClientWith(await App.CreateKeyAsync(["admin"], mine));
        var theirsBefore = await LedgerTotals.Of(App, theirs);

        (await bound.Post($"/v1/accounts/{mine}/grants", """{"amount":10,"source":"manual","reason":"own"}""")).StatusCode
            .ShouldBe(System.Net.HttpStatusCode.Created);
        await (await bound.Post($"/v1/accounts/{theirs}/grants", """{"amount":10,"source":"manual","reason":"other"}"""))
            .ShouldBeProblem(404, "account-not-found");
        (await LedgerTotals.Of(App, theirs)).ShouldBe(theirsBefore);
    }
}
