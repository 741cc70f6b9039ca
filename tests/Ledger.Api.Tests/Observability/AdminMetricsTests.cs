using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Projections.Metrics;
using Marten.Events.Daemon.Coordination;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Observability;

/// <summary>
/// GET /v1/admin/metrics (ADR 65) against sums computed here, independently, from the raw events in <c>mt_events</c>:
/// accounts by plan and status, credits per day, revenue per day and currency, reservations, estimate vs actual; then
/// the async projections are rebuilt from the events and give the same figures.
/// </summary>
public sealed class AdminMetricsTests(PostgresServer server) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp _app = null!;

    public async ValueTask InitializeAsync() => _app = await LedgerApp.StartAsync(server, "admin_metrics");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_figures_are_the_sums_of_the_events_and_survive_a_rebuild()
    {
        var admin = _app.Admin();
        await Story(admin);

        var (expected, first) = await SettledAsync(admin);
        // what the story did, as a check on the story itself: r1 300 -> 250, r2 100 -> 180 (beyond), r5 60 -> 60; r3 released, r4 expired
        expected.Reservations.ShouldBe((5L, 3L, 1L, 1L));
        expected.EstimateVsActual.ShouldBe((460L, 490L));
        Text(expected.ByStatus).ShouldBe("active=2,grace=1,suspended=1");
        Compare(first, expected);
        first.GetProperty("projectionLag").GetInt64().ShouldBe(0);

        var coordinator = _app.Services.GetRequiredService<IProjectionCoordinator>();
        var daemon = coordinator.DaemonForMainDatabase();
        await daemon.RebuildProjectionAsync(LedgerDayProjection.ProjectionName, TimeSpan.FromSeconds(60), Ct);
        await daemon.RebuildProjectionAsync(AccountStandingProjection.ProjectionName, TimeSpan.FromSeconds(60), Ct);
        var (again, rebuilt) = await SettledAsync(admin);
        again.ShouldBe(expected);
        Compare(rebuilt, expected);
        Strip(rebuilt).ShouldBe(Strip(first));
    }

    [Theory]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-02-01&to=2026-01-01", "from")]
    [InlineData("from=2024-01-01&to=2026-01-01", "to")]
    public async Task Bad_periods_are_400_naming_the_parameter(string query, string field)
    {
        var problem = await (await _app.Admin().Get($"/v1/admin/metrics?{query}")).ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_read_key_is_refused() =>
        await (await _app.ClientWith(await _app.CreateKeyAsync(["ledger:read"])).Get("/v1/admin/metrics")).ShouldBeProblem(403, "forbidden");

    /// <summary>Three plans, purchases in two currencies, holds committed (one beyond its hold), released and expired, usage, grace and suspension, over three days.</summary>
    private async Task Story(HttpClient admin)
    {
        await _app.OpenAccountAsync("m-free", "free");
        await _app.OpenAccountAsync("m-pro", "pro");
        await _app.OpenAccountAsync("m-starter", "starter");
        await _app.OpenAccountAsync("m-grace", "starter");
        await Post(admin, "/v1/accounts/m-pro/grants", new { amount = 500, source = "purchase", reason = "pack", costBasis = new { amountMinor = 2900, currency = "usd" } });
        await Post(admin, "/v1/accounts/m-starter/grants", new { amount = 2000, source = "purchase", reason = "pack", costBasis = new { amountMinor = 7900, currency = "EUR" } });
        await Post(admin, "/v1/accounts/m-starter/grants", new { amount = 300, source = "promo", reason = "welcome", expiresAt = _app.Clock.GetUtcNow().AddHours(2) });
        await Post(admin, "/v1/accounts/m-pro/reservations", new { reservationId = "r1", amount = 300, ttlSeconds = 3600 });
        await Post(admin, "/v1/accounts/m-pro/reservations/r1/commit", new { amount = 250 });
        await Post(admin, "/v1/accounts/m-pro/reservations", new { reservationId = "r2", amount = 100, ttlSeconds = 3600 });
        await Post(admin, "/v1/accounts/m-pro/reservations/r2/commit", new { amount = 180 }); // beyond the hold
        await Post(admin, "/v1/accounts/m-starter/reservations", new { reservationId = "r3", amount = 40, ttlSeconds = 3600 });
        await Post(admin, "/v1/accounts/m-starter/reservations/r3/release", new { reason = "cancelled" });
        await Post(admin, "/v1/accounts/m-starter/reservations", new { reservationId = "r4", amount = 70, ttlSeconds = 60 });
        await Post(admin, "/v1/accounts/m-pro/usage", new { amount = 12 });
        await Post(admin, "/v1/accounts/m-grace/grace", new { reason = "payment failed" });

        _app.Clock.Advance(TimeSpan.FromDays(1));
        await Post(admin, "/v1/accounts/m-starter/usage", new { amount = 5 }); // catches up: r4 expires, the promo block expires
        await Post(admin, "/v1/accounts/m-pro/grants", new { amount = 500, source = "purchase", reason = "pack", costBasis = new { amountMinor = 2900, currency = "usd" } });
        await Post(admin, "/v1/accounts/m-pro/reservations", new { reservationId = "r5", amount = 60, ttlSeconds = 3600 });
        await Post(admin, "/v1/accounts/m-pro/reservations/r5/commit", new { });
        await Post(admin, "/v1/accounts/m-free/suspend", new { reason = "abuse" });

        _app.Clock.Advance(TimeSpan.FromDays(1));
        await Post(admin, "/v1/accounts/m-pro/usage", new { amount = 7 });
    }

    private static async Task Post(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body, Ct);
        if (!response.IsSuccessStatusCode) Assert.Fail($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>Waits until the projections have every event and none arrives meanwhile; returns the sums and the answer.</summary>
    private sealed record Settled(Expected Expected, JsonElement Body);

    private async Task<(Expected, JsonElement)> SettledAsync(HttpClient admin)
    {
        var to = _app.Clock.GetUtcNow().AddDays(1).ToString("yyyy-MM-dd");
        var from = _app.Clock.GetUtcNow().AddDays(-5).ToString("yyyy-MM-dd");
        var settled = await Eventually.Until(async () =>
        {
            var before = await Events();
            var response = await admin.Get($"/v1/admin/metrics?from={from}&to={to}");
            response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync(Ct));
            var body = await response.Json();
            var after = await Events();
            var newest = before.Max(e => e.Sequence);
            return after.Count == before.Count && body.GetProperty("asOfSequence").GetInt64() == newest
                && body.GetProperty("highWaterSequence").GetInt64() == newest
                ? new Settled(Expected.From(before), body) : null;
        }, TimeSpan.FromSeconds(60), () => "the async projections did not catch up with the events within 60 s");
        return (settled.Expected, settled.Body);
    }

    private async Task<List<RawEvent>> Events() =>
        (await _app.Query("select seq_id, stream_id, type, data::text as data from ledger.mt_events order by seq_id"))
        .Select(r => new RawEvent((long)r["seq_id"]!, (string)r["stream_id"]!, (string)r["type"]!, JsonDocument.Parse((string)r["data"]!).RootElement))
        .ToList();

    private static void Compare(JsonElement body, Expected expected)
    {
        Text(Map(body.GetProperty("accounts").GetProperty("byPlan"))).ShouldBe(Text(expected.ByPlan));
        Text(Map(body.GetProperty("accounts").GetProperty("byStatus"))).ShouldBe(Text(expected.ByStatus));
        var days = body.GetProperty("days").EnumerateArray().ToList();
        foreach (var day in days)
        {
            var date = day.GetProperty("date").GetString()!;
            var sums = expected.Days.GetValueOrDefault(date) ?? new DaySums();
            (day.GetProperty("granted").GetInt64(), day.GetProperty("consumed").GetInt64(), day.GetProperty("expired").GetInt64())
                .ShouldBe((sums.Granted, sums.Consumed, sums.Expired), date);
        }
        expected.Days.Keys.Except(days.Select(d => d.GetProperty("date").GetString()!)).ShouldBeEmpty();
        body.GetProperty("revenue").EnumerateArray()
            .Select(r => (r.GetProperty("date").GetString()!, r.GetProperty("currency").GetString()!, r.GetProperty("amount").GetInt64()))
            .OrderBy(r => r).ShouldBe(expected.Revenue.OrderBy(r => r));
        var reservations = body.GetProperty("reservations");
        (reservations.GetProperty("opened").GetInt64(), reservations.GetProperty("committed").GetInt64(),
                reservations.GetProperty("released").GetInt64(), reservations.GetProperty("expired").GetInt64())
            .ShouldBe(expected.Reservations);
        var estimate = body.GetProperty("estimateVsActual");
        (estimate.GetProperty("estimated").GetInt64(), estimate.GetProperty("actual").GetInt64()).ShouldBe(expected.EstimateVsActual);
    }

    private static string Text(Dictionary<string, long> map) =>
        string.Join(",", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private static Dictionary<string, long> Map(JsonElement map) => map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    private static string Strip(JsonElement body)
    {
        var copy = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(body.GetRawText())!;
        copy.Remove("asOfSequence");
        copy.Remove("highWaterSequence");
        copy.Remove("projectionLag");
        return JsonSerializer.Serialize(copy);
    }

    private sealed record RawEvent(long Sequence, string Stream, string Type, JsonElement Data);

    private sealed class DaySums
    {
        public long Granted, Consumed, Expired;
    }

    /// <summary>The figures, folded here from the raw event JSON with nothing of the service's code.</summary>
    private sealed record Expected(
        Dictionary<string, long> ByPlan, Dictionary<string, long> ByStatus, Dictionary<string, DaySums> Days,
        List<(string, string, long)> Revenue, (long, long, long, long) Reservations, (long, long) EstimateVsActual)
    {
        public bool Equals(Expected? other) => other is not null && JsonSerializer.Serialize(Shape()) == JsonSerializer.Serialize(other.Shape());
        public override int GetHashCode() => 0;
        private object Shape() => new { ByPlan = Text(ByPlan), ByStatus = Text(ByStatus), Days = Days.OrderBy(d => d.Key).Select(d => new[] { d.Value.Granted, d.Value.Consumed, d.Value.Expired }), Revenue = Revenue.Select(r => r.ToString()), Reservations = Reservations.ToString(), EstimateVsActual = EstimateVsActual.ToString() };

        public static Expected From(IEnumerable<RawEvent> events)
        {
            var plan = new Dictionary<string, string>();
            var status = new Dictionary<string, string>();
            var frozen = new Dictionary<string, bool>();
            var days = new Dictionary<string, DaySums>();
            var revenue = new Dictionary<(string, string), long>();
            var holds = new Dictionary<string, long>();
            long opened = 0, committed = 0, released = 0, expired = 0, estimated = 0, actual = 0;
            DaySums On(JsonElement data, string field)
            {
                var day = data.GetProperty(field).GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd");
                return days.TryGetValue(day, out var sums) ? sums : days[day] = new DaySums();
            }
            foreach (var (_, stream, type, d) in events)
                switch (type)
                {
                    case "account_opened": plan[stream] = d.GetProperty("plan").GetString()!; status[stream] = "active"; break;
                    case "plan_changed": plan[stream] = d.GetProperty("toPlan").GetString()!; break;
                    case "grace_started": status[stream] = "grace"; break;
                    case "grace_ended" or "account_restored": status[stream] = "active"; break;
                    case "account_suspended": status[stream] = "suspended"; break;
                    case "usage_anomaly_flagged": frozen[stream] = frozen.GetValueOrDefault(stream) || d.GetProperty("frozen").GetBoolean(); break;
                    case "usage_anomaly_cleared": frozen[stream] = false; break;
                    case "credits_granted":
                        On(d, "grantedAt").Granted += d.GetProperty("amount").GetInt64();
                        if (d.GetProperty("source").GetString()!.Equals("purchase", StringComparison.OrdinalIgnoreCase)
                            && d.TryGetProperty("costBasis", out var basis) && basis.ValueKind == JsonValueKind.Object)
                        {
                            var key = (d.GetProperty("grantedAt").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd"), basis.GetProperty("currency").GetString()!.ToLowerInvariant());
                            revenue[key] = revenue.GetValueOrDefault(key) + basis.GetProperty("amountMinor").GetInt64();
                        }
                        break;
                    case "grant_expired": On(d, "expiredAt").Expired += d.GetProperty("amount").GetInt64(); break;
                    case "usage_recorded": On(d, "recordedAt").Consumed += d.GetProperty("amount").GetInt64(); break;
                    case "credits_reserved":
                        opened++;
                        holds[$"{stream}/{d.GetProperty("reservationId").GetString()}"] = d.GetProperty("amount").GetInt64();
                        break;
                    case "reservation_committed":
                        committed++;
                        var amount = d.GetProperty("amount").GetInt64();
                        On(d, "committedAt").Consumed += amount;
                        estimated += holds[$"{stream}/{d.GetProperty("reservationId").GetString()}"];
                        actual += amount;
                        break;
                    case "reservation_released": released++; break;
                    case "reservation_expired": expired++; break;
                }
            var shown = status.ToDictionary(s => s.Key, s => s.Value == "active" && frozen.GetValueOrDefault(s.Key) ? "frozen" : s.Value);
            return new Expected(
                plan.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => (long)g.Count()),
                shown.GroupBy(s => s.Value).ToDictionary(g => g.Key, g => (long)g.Count()),
                days, revenue.Select(r => (r.Key.Item1, r.Key.Item2, r.Value)).ToList(),
                (opened, committed, released, expired), (estimated, actual));
        }
    }
}
