using System.Text;
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
/// Who may call what, for every keyed endpoint of the running app (its routing table, so new endpoints and lists are in
/// it by themselves): no key is 401 <c>api-key-missing</c>; a key without the endpoint's scope is 403 naming it; a key
/// with it passes authorization; a key bound to another account finds no account there (404).
/// </summary>
public sealed class AccessMatrixTests(ApiKeyApp fixture) : IClassFixture<ApiKeyApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private sealed record Route(string Method, string Pattern, string Scope)
    {
        public string Path(string account) => Regex.Replace(Pattern.Replace("{accountId}", account), "{[^}]+}", "matrix-probe");
        public override string ToString() => $"{Method} {Pattern}";
    }

    private List<Route> KeyedRoutes() =>
        App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (e, Scope: e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null && Scopes.All.Contains(p))))
            .Where(x => x.Scope is not null)
            .SelectMany(x => (x.e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => new Route(m, x.e.RoutePattern.RawText!, x.Scope!)))
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();

    private static Task<HttpResponseMessage> Send(HttpClient client, Route route, string account)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path(account));
        if (route.Method is "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json"); // at most a 400 or 404: nothing is created
        return client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task Every_keyed_endpoint_answers_by_scope_and_binding()
    {
        var account = Raw.NewAccountId("matrix");
        await App.OpenAccountAsync(account);
        var keys = new Dictionary<string, HttpClient>
        {
            [Scopes.Read] = App.ClientWith(await App.CreateKeyAsync([Scopes.Read])),
            [Scopes.Write] = App.ClientWith(await App.CreateKeyAsync([Scopes.Write])),
            [Scopes.Admin] = App.Admin(),
        };
        var elsewhere = App.ClientWith(await App.CreateKeyAsync([Scopes.Admin], Raw.NewAccountId("matrix-other")));
        var routes = KeyedRoutes();
        new[] { "GET /v1/accounts", "GET /v1/accounts/{accountId}/reservations", "GET /v1/accounts/{accountId}/grants",
                "GET /v1/accounts/{accountId}/usage-records", "GET /v1/accounts/{accountId}/refunds" }
            .ShouldBeSubsetOf(routes.Select(r => r.ToString()));
        var before = await LedgerTotals.Of(App, account);

        foreach (var route in routes)
        {
            await (await Send(App.ClientWith(null), route, account)).ShouldBeProblem(401, "api-key-missing");
            foreach (var (scope, client) in keys)
            {
                var response = await Send(client, route, account);
                var allowed = scope == Scopes.Admin || scope == route.Scope;
                if (allowed)
                    ((int)response.StatusCode).ShouldNotBeOneOf([401, 403], $"{route} with {scope}: {await response.Content.ReadAsStringAsync(Ct)}");
                else
                    (await response.ShouldBeProblem(403, "forbidden")).GetProperty("requiredScope").GetString().ShouldBe(route.Scope, route.ToString());
            }
            if (!route.Pattern.Contains("{accountId}", StringComparison.Ordinal)) continue;
            var other = await Send(elsewhere, route, account);
            if (route.Method == "GET") await other.ShouldBeProblem(404, "account-not-found");
            else ((int)other.StatusCode).ShouldBeOneOf([400, 404], route.ToString()); // the body is checked first; nothing of the account shows
        }
        (await LedgerTotals.Of(App, account)).ShouldBe(before);
    }
}
