using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Observability;

/// <summary>
/// /metrics (ADR 65) scraped from the service in its own process (so no other test's work moves its counters): after
/// known operations, the ledger's counters moved by exactly their amounts; the Grafana dashboard in docs/grafana
/// only asks for metrics the scrape has; /metrics is not in the OpenAPI document.
/// </summary>
public sealed class PrometheusMetricsTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Counters_move_by_exactly_what_was_done_and_the_dashboard_uses_only_exposed_metrics()
    {
        await using var service = new LedgerProcess(await server.CreateDatabaseAsync("prometheus"),
            new Dictionary<string, string> { ["LEDGER_STRIPE_WEBHOOK_SECRET"] = "whsec_prometheus_test" });
        await service.StartAsync();
        using var client = service.Client();
        using var anonymous = new HttpClient { BaseAddress = service.BaseAddress };
        var before = await Scrape(anonymous);

        await Post(client, "/v1/accounts", new { accountId = "prom", plan = "pro" });
        for (var i = 1; i <= 5; i++) await Post(client, "/v1/accounts/prom/reservations", new { reservationId = $"r{i}", amount = 10 });
        await Post(client, "/v1/accounts/prom/reservations", new { reservationId = "r1", amount = 10 }); // replayed
        for (var i = 0; i < 2; i++)
            (await client.PostAsJsonAsync("/v1/accounts/prom/reservations", new { amount = 200_000 }, Ct)).StatusCode
                .ShouldBe(HttpStatusCode.UnprocessableEntity); // over the pro plan's per-request limit
        for (var i = 1; i <= 3; i++) await Post(client, $"/v1/accounts/prom/reservations/r{i}/commit", new { amount = 7 });
        await Post(client, "/v1/accounts/prom/usage", new { amount = 13 });
        var refused = await anonymous.Post("/v1/webhooks/stripe", """{"id":"evt_1","type":"invoice.paid"}""", "application/json",
            ("Stripe-Signature", "t=1,v1=00"));
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var after = await Scrape(anonymous);
        double Moved(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);
        Moved("ledger_reserves_total", ("outcome", "accepted")).ShouldBe(5);
        Moved("ledger_reserves_total", ("outcome", "replayed")).ShouldBe(1);
        Moved("ledger_reserves_total", ("outcome", "rejected"), ("reason", "amount-over-limit")).ShouldBe(2);
        Moved("ledger_credits_consumed_total").ShouldBe(3 * 7 + 13);
        const int commands = 1 + 6 + 2 + 3 + 1;
        Moved("ledger_writes_total").ShouldBe(commands);
        Moved("ledger_write_batch_size_sum").ShouldBe(commands);
        Moved("ledger_write_batch_size_count").ShouldBeInRange(1, commands);
        Moved("ledger_stripe_webhooks_total", ("outcome", "refused")).ShouldBe(1);
        Moved("ledger_stripe_webhooks_total", ("outcome", "processed")).ShouldBe(0);
        after.Names.ShouldContain("ledger_invariant_drift");
        after.Names.ShouldContain("ledger_operator_webhooks_total");

        // the lag gauge follows the daemon down to 0 (the monitor reads progress every 5 s)
        await Eventually.Until(async () => (await Scrape(anonymous)).Samples.Any(s => s.Name == "ledger_projection_lag" && s.Value == 0) ? "" : null,
            TimeSpan.FromSeconds(60), () => "ledger_projection_lag did not reach 0");

        var dashboard = await File.ReadAllTextAsync(Path.Combine(PostgresServer.FindRepositoryRoot(), "docs", "grafana", "ledger.json"), Ct);
        var referenced = DashboardMetrics(JsonDocument.Parse(dashboard).RootElement);
        referenced.ShouldContain("ledger_reserves_total");
        referenced.Except(after.Names).ShouldBeEmpty("metrics the dashboard asks for that /metrics does not expose");

        var openapi = await (await anonymous.GetAsync("/openapi/v1.json", Ct)).Content.ReadAsStringAsync(Ct);
        JsonDocument.Parse(openapi).RootElement.GetProperty("paths").TryGetProperty("/metrics", out _).ShouldBeFalse();
    }

    private static async Task<PrometheusText> Scrape(HttpClient client)
    {
        var response = await client.GetAsync("/metrics", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task Post(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body, Ct);
        if (!response.IsSuccessStatusCode) Assert.Fail($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>Every metric name a panel's query or a variable selects (a name followed by its label matcher or in label_values).</summary>
    public static HashSet<string> DashboardMetrics(JsonElement dashboard)
    {
        var queries = new List<string>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
                queries.Add(target.GetProperty("expr").GetString()!);
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
            if (variable.GetProperty("type").GetString() == "query") queries.Add(variable.GetProperty("query").GetString()!);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            foreach (Match m in Regex.Matches(query, @"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")) names.Add(m.Groups[1].Value);
            foreach (Match m in Regex.Matches(query, @"label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)")) names.Add(m.Groups[1].Value);
        }
        return names;
    }
}

/// <summary>/metrics behind an admin key (<c>LEDGER_METRICS_AUTH=admin</c>), and gone with <c>LEDGER_TELEMETRY=off</c>.</summary>
public sealed class MetricsEndpointSettingsTests(PostgresServer server)
{
    [Fact]
    public async Task With_LEDGER_METRICS_AUTH_admin_a_scrape_needs_an_admin_key()
    {
        await using var app = await LedgerApp.StartAsync(server, "metrics_auth", settings: new Dictionary<string, string> { ["LEDGER_METRICS_AUTH"] = "admin" });
        await (await app.ClientWith(null).Get("/metrics")).ShouldBeProblem(401, "api-key-missing");
        await (await app.ClientWith(await app.CreateKeyAsync(["ledger:read"])).Get("/metrics")).ShouldBeProblem(403, "forbidden");
        var scrape = await app.Admin().Get("/metrics");
        scrape.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await scrape.Content.ReadAsStringAsync(Raw.Ct)).ShouldContain("ledger_invariant_drift");
    }

    [Fact]
    public async Task With_LEDGER_TELEMETRY_off_there_is_no_metrics_endpoint()
    {
        await using var app = await LedgerApp.StartAsync(server, "telemetry_off", settings: new Dictionary<string, string> { ["LEDGER_TELEMETRY"] = "off" });
        await (await app.ClientWith(null).Get("/metrics")).ShouldBeProblem(404, "not-found");
        (await app.Admin().Get("/v1/plans")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
