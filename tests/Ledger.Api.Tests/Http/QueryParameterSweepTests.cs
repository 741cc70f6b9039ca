using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>An account with a grant, a usage and a pending hold, so the reads the sweep aims at have something to read.</summary>
public sealed class QuerySweepApp(PostgresServer server) : SharedApp(server, "querysweep")
{
    public const string Account = "sweep";

    protected override async Task SeedAsync()
    {
        await App.OpenAccountAsync(Account, "pro");
        await App.GrantAsync(Account, 1000, grantId: "g1");
        var admin = App.Admin();
        foreach (var (path, body) in new[]
                 {
                     ($"/v1/accounts/{Account}/usage", """{"usageId":"u1","amount":10,"feature":"ai"}"""),
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"r1","amount":10,"ttlSeconds":86400}"""),
                 })
        {
            var response = await admin.Post(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}

/// <summary>
/// DESIGN "HTTP API v1": no request yields a 500 for anything a client can send. Every query parameter of every
/// operation in the OpenAPI document gets every hostile value below (control characters that PostgreSQL text cannot
/// hold, numbers out of every range, instants at and beyond the ends of time, repeats): none may answer 5xx, and every
/// error is an RFC 9457 problem.
/// </summary>
public sealed class QueryParameterSweepTests(QuerySweepApp fixture) : IClassFixture<QuerySweepApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Already URL-encoded, as they go on the wire.</summary>
    private static readonly string[] HostileValues =
    [
        "", "%00", "a%00b", "%0A", "x%0A", "%0D%0A", "%1F", "%7F", "%C2%85", "%FF", "%ED%A0%80", "%E2%80%AE", "%25", "%2C%2C",
        "'%3B drop table x%3B --", new string('x', 4000),
        "-1", "0", "1", "-0", "%2B5", "1.5", "1e3", "NaN", "abc", "0x10",
        "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "99999999999999999999",
        "0001-01-01T00:00:00Z", "0001-01-01T00:00:00%2B14:00", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
        "2099-12-31T23:59:59.9999999Z", "2100-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "9998-12-31T23:59:59Z",
        "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59-14:00", "2026-02-30T00:00:00Z", "2026-01-01", "1/2/2026",
        "day,feature,day", "csv,json", "processed,parked", "credits_granted,,x",
    ];

    private sealed record Operation(string Method, string Path, IReadOnlyList<string> Query);

    private async Task<List<Operation>> OperationsWithQueryParameters()
    {
        var document = await (await fixture.App.Admin().Get("/openapi/v1.json")).Content.ReadAsStringAsync(Ct);
        var operations = new List<Operation>();
        foreach (var path in JsonDocument.Parse(document).RootElement.GetProperty("paths").EnumerateObject())
        foreach (var operation in path.Value.EnumerateObject())
        {
            if (!operation.Value.TryGetProperty("parameters", out var parameters)) continue;
            var query = parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query")
                .Select(p => p.GetProperty("name").GetString()!).ToList();
            if (query.Count > 0) operations.Add(new Operation(operation.Name.ToUpperInvariant(), path.Name, query));
        }
        return operations;
    }

    private static string Fill(string path) => path
        .Replace("{accountId}", QuerySweepApp.Account, StringComparison.Ordinal)
        .Replace("{reservationId}", "r1", StringComparison.Ordinal)
        .Replace("{eventId}", "evt_none", StringComparison.Ordinal);

    [Fact]
    public async Task Every_query_parameter_of_every_operation_takes_hostile_values_without_a_5xx()
    {
        var operations = await OperationsWithQueryParameters();
        var documented = operations.SelectMany(o => o.Query.Select(q => $"{o.Method} {o.Path} {q}")).ToList();
        new[]
        {
            "GET /v1/accounts/{accountId}/balance asOf", "GET /v1/accounts/{accountId}/balance version",
            "GET /v1/accounts/{accountId}/events limit", "GET /v1/accounts/{accountId}/statement from",
            "GET /v1/accounts/{accountId}/usage groupBy", "GET /v1/admin/stripe-events limit", "GET /v1/admin/stripe-events type",
            "GET /v1/admin/stripe-events accountId", "GET /v1/admin/reconciliation to",
        }.ShouldBeSubsetOf(documented);

        var admin = fixture.App.Admin();
        var failures = new List<string>();
        async Task Probe(string method, string url)
        {
            var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            if (status >= 500) failures.Add($"{status} {method} {url}: {text[..Math.Min(300, text.Length)]}");
            else if (status >= 400 && !IsProblem(response, text, status)) failures.Add($"{status} {method} {url} is not a problem document: {text}");
        }

        foreach (var operation in operations)
        {
            var path = Fill(operation.Path);
            foreach (var value in HostileValues)
            {
                foreach (var name in operation.Query) await Probe(operation.Method, $"{path}?{name}={value}");
                await Probe(operation.Method, $"{path}?{string.Join('&', operation.Query.Select(q => $"{q}={value}"))}");
            }
            foreach (var name in operation.Query)
            {
                await Probe(operation.Method, $"{path}?{name}=1&{name}=2");
                await Probe(operation.Method, $"{path}?{name}");
            }
            await Probe(operation.Method, $"{path}?%00=1");
        }

        failures.ShouldBeEmpty();
    }

    private static bool IsProblem(HttpResponseMessage response, string text, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return false;
        var problem = JsonDocument.Parse(text).RootElement;
        return problem.TryGetProperty("type", out var type) && type.GetString()!.StartsWith("/problems/", StringComparison.Ordinal)
            && problem.TryGetProperty("status", out var s) && s.GetInt32() == status
            && !text.Contains("Exception", StringComparison.Ordinal) && !text.Contains("Npgsql", StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/v1/admin/stripe-events?type=%00", "type")]
    [InlineData("/v1/admin/stripe-events?accountId=%00", "accountId")]
    [InlineData("/v1/admin/stripe-events?accountId=x%0Ay", "accountId")]
    [InlineData("/v1/admin/reconciliation?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/v1/admin/reconciliation?from=1969-12-31T23:59:59Z", "from")]
    [InlineData("/v1/admin/stripe-events?limit=abc", "limit")]
    [InlineData("/v1/admin/stripe-events?limit=99999999999", "limit")]
    [InlineData("/v1/admin/stripe-events?offset=-1", "offset")]
    [InlineData("/v1/accounts/sweep/balance?asOf=9999-12-31T23:59:59Z", "asOf")]
    [InlineData("/v1/accounts/sweep/statement?from=2100-01-01T00:00:00Z&to=2100-02-01T00:00:00Z", "from")]
    [InlineData("/v1/accounts/sweep/statement?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("/v1/accounts/sweep/events?from=0001-01-01T00:00:00Z", "from")]
    [InlineData("/v1/accounts/sweep/usage?from=%00", "from")]
    public async Task A_bad_query_value_is_400_naming_the_parameter(string url, string parameter)
    {
        var problem = await (await fixture.App.Admin().Get(url)).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(parameter, out _).ShouldBeTrue(problem.GetRawText());
    }
}
