using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Ledger.Api.Tests.Balances;

/// <summary>
/// One app (and database) for a whole test class: tests of the class run one after the other and each uses
/// accounts of its own. A test that moves <see cref="LedgerApp.Clock"/> only moves it forward, and only
/// its own accounts care.
/// </summary>
public sealed class CreditsAppFixture(PostgresServer server) : IAsyncLifetime
{
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync() => App = await CreditsKit.StartAppAsync(server, "credits");

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// A balance worked out by the test from what it did, independently of the service: available follows from
/// the invariant <c>available + reserved = granted - consumed - expired - voided + refunded</c>.
/// </summary>
public sealed record ExpectedBalance(long Granted, long Consumed = 0, long Expired = 0, long Voided = 0, long Refunded = 0, long Reserved = 0)
{
    public long Available => Granted - Consumed - Expired - Voided + Refunded - Reserved;

    public override string ToString() =>
        $"granted {Granted}, consumed {Consumed}, expired {Expired}, voided {Voided}, refunded {Refunded}, reserved {Reserved}, available {Available}";
}

/// <summary>A draw as the service shows it: how much of one grant a hold, commit, usage or refund took.</summary>
public sealed record Drawn(string GrantId, long Amount)
{
    public override string ToString() => $"{GrantId}:{Amount}";
}

/// <summary>One row of the account's Marten stream (<c>ledger.mt_events</c>).</summary>
public sealed record StoredEvent(long Version, string Type, JsonElement Data, DateTimeOffset Timestamp, JsonElement Headers)
{
    public override string ToString() => $"v{Version} {Type} {Data.GetRawText()}";
}

public static class CreditsKit
{
    /// <summary>
    /// The plan these tests open accounts on: the shipped plans plus <c>metered</c>, which grants nothing by itself
    /// (no allowance, no trial), blocks at zero, has no velocity alarm and no practical request or amount limit, so
    /// every credit on the account is one the test granted and every balance can be worked out by hand.
    /// </summary>
    public const string Plan = "metered";

    private static readonly Lazy<string> PlansFile = new(() =>
    {
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "plans.json")))!.AsObject();
        shipped["plans"]!.AsArray().Add(JsonNode.Parse($$"""
            {
              "id": "{{Plan}}", "name": "Metered (credits tests)", "allowance": 0, "rollover": { "mode": "none" },
              "requestsPerMinute": 1000000, "maxCreditsPerRequest": 1000000000000000,
              "overage": { "mode": "block" }, "features": ["ai", "sync", "reports"],
              "softLimitThresholds": [80, 100], "historyRetentionDays": 365
            }
            """));
        var path = Path.Combine(AppContext.BaseDirectory, "credits-tests-plans.json");
        File.WriteAllText(path, shipped.ToJsonString());
        return path;
    });

    /// <summary>An app on a fresh database (or on <paramref name="connectionString"/>) that knows the <see cref="Plan"/> plan.</summary>
    public static Task<LedgerApp> StartAppAsync(PostgresServer server, string? prefix = null, string? connectionString = null) =>
        LedgerApp.StartAsync(server, prefix, connectionString, new Dictionary<string, string> { ["LEDGER_PLANS"] = PlansFile.Value });

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object? body) =>
        client.PostAsJsonAsync(url, body, Token);

    public static Task<HttpResponseMessage> Get(this HttpClient client, string url) => client.GetAsync(url, Token);

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonElement> ShouldBe(this HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> BalanceAsync(this HttpClient client, string accountId, string query = "") =>
        await (await client.Get($"/v1/accounts/{accountId}/balance{query}")).ShouldBe(200);

    public static async Task<JsonElement> ReservationAsync(this HttpClient client, string accountId, string reservationId) =>
        await (await client.Get($"/v1/accounts/{accountId}/reservations/{reservationId}")).ShouldBe(200);

    /// <summary>Compares every sum of a balance view with the test's own arithmetic.</summary>
    public static void ShouldMatch(this JsonElement balance, ExpectedBalance expected, string when)
    {
        var actual = new ExpectedBalance(
            balance.GetProperty("granted").GetInt64(), balance.GetProperty("consumed").GetInt64(),
            balance.GetProperty("expired").GetInt64(), balance.GetProperty("voided").GetInt64(),
            balance.GetProperty("refunded").GetInt64(), balance.GetProperty("reserved").GetInt64());
        Assert.True(actual == expected && balance.GetProperty("available").GetInt64() == expected.Available,
            $"{when}: expected {expected}; the service says {actual} with available {balance.GetProperty("available").GetInt64()}");
    }

    public static IReadOnlyList<Drawn> Draws(this JsonElement array) =>
        array.EnumerateArray().Select(d => new Drawn(d.GetProperty("grantId").GetString()!, d.GetProperty("amount").GetInt64())).ToList();

    public static JsonElement Block(this JsonElement balance, string grantId) =>
        balance.GetProperty("blocks").EnumerateArray().Single(b => b.GetProperty("grantId").GetString() == grantId);

    /// <summary>An instant as the API takes it in a query string (UTC, 7 fractional digits, no '+').</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The account's events as stored, read straight from PostgreSQL (not through the service).</summary>
    public static async Task<List<StoredEvent>> StreamAsync(string connectionString, string accountId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(
            "select version, type, data::text, timestamp, coalesce(headers::text, '{}') from ledger.mt_events where stream_id = @id order by version", connection);
        command.Parameters.AddWithValue("id", accountId);
        await using var reader = await command.ExecuteReaderAsync(Token);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(Token))
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1),
                JsonDocument.Parse(reader.GetString(2)).RootElement.Clone(), reader.GetFieldValue<DateTimeOffset>(3),
                JsonDocument.Parse(reader.GetString(4)).RootElement.Clone()));
        return events;
    }

    public static async Task<List<StoredEvent>> StreamAsync(this LedgerApp app, string accountId) =>
        await StreamAsync(app.ConnectionString, accountId);

    /// <summary>
    /// Polls the stream (no fixed sleep) until an event of <paramref name="type"/> matching <paramref name="match"/>
    /// is there. While it waits it keeps the app's clock in step with real time, as time would pass in production:
    /// the durable timers need both clocks past their due time, and the service decides with its own clock.
    /// </summary>
    public static async Task<StoredEvent> WaitForEventAsync(
        LedgerApp app, string accountId, string type, Func<StoredEvent, bool>? match = null, TimeSpan? patience = null)
    {
        List<StoredEvent> events = [];
        return await Eventually.Until(async () =>
            {
                KeepInStepWithRealTime(app);
                events = await StreamAsync(app.ConnectionString, accountId);
                return events.FirstOrDefault(e => e.Type == type && (match?.Invoke(e) ?? true));
            },
            patience ?? TimeSpan.FromSeconds(30),
            () => $"no {type} event on {accountId} within {patience ?? TimeSpan.FromSeconds(30)}; stream:\n{string.Join("\n", events)}");
    }

    /// <summary>
    /// Moves the clock by <paramref name="by"/> and runs <paramref name="reads"/> at once, answering whether they were
    /// served before any timer wrote to the account (the stream did not change around them).
    /// </summary>
    /// <remarks>
    /// Observed with Wolverine 6.62: a durable scheduled message runs once both the wall clock (the database poll)
    /// and the app's <see cref="TimeProvider"/> (the in-memory scheduler it is handed to) have passed its time. A test
    /// that keeps its clock at or ahead of real time therefore sees no timer before real time reaches the due instant.
    /// </remarks>
    public static async Task<bool> ReadBeforeTimersWriteAsync(LedgerApp app, string accountId, TimeSpan by, Func<Task> reads)
    {
        var before = (await StreamAsync(app.ConnectionString, accountId)).Count;
        app.Clock.Advance(by);
        await reads();
        return (await StreamAsync(app.ConnectionString, accountId)).Count == before;
    }

    public static void KeepInStepWithRealTime(LedgerApp app)
    {
        var real = DateTimeOffset.UtcNow;
        if (real > app.Clock.GetUtcNow()) app.Clock.SetUtcNow(real);
    }

    /// <summary>
    /// Checks that the stored inline view of the account equals a replay of its stream through
    /// <see cref="Account.Evolve"/>: same version, same blocks, same open holds, same balance.
    /// </summary>
    public static async Task<Account> ShouldEqualReplayOfStreamAsync(this LedgerApp app, string accountId)
    {
        var store = app.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var view = await session.LoadAsync<Account>(accountId, Token);
        Assert.NotNull(view);
        var events = await session.Events.FetchStreamAsync(accountId, token: Token);
        Account? replayed = null;
        // the stored view also keeps the hash chain's head: the last event's hash (ADR 45)
        foreach (var e in events)
            replayed = Account.Evolve(replayed, e.Data) is { } next
                ? next with { Version = e.Version, ChainHead = e.Headers is { } h && h.TryGetValue("hash", out var hash) ? hash?.ToString() : null }
                : null;
        Assert.NotNull(replayed);
        Assert.Matches("^[0-9a-f]{64}$", replayed.ChainHead ?? "");

        Assert.Equal(replayed.Version, view.Version);
        Assert.Equal(events.Count, view.Version);
        Assert.Equal(replayed.Blocks.Keys.Order(StringComparer.Ordinal), view.Blocks.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, block) in replayed.Blocks) Assert.Equal(block, view.Blocks[id]);
        Assert.Equal(replayed.Holds.Keys.Order(StringComparer.Ordinal), view.Holds.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, hold) in replayed.Holds)
        {
            var stored = view.Holds[id];
            Assert.Equal(hold.Amount, stored.Amount);
            Assert.Equal(hold.ExpiresAt, stored.ExpiresAt);
            Assert.Equal(hold.Draws, stored.Draws);
        }
        Assert.Equal(replayed.RecentUsage ?? [], view.RecentUsage ?? []);
        // every other field (status, period, period consumption, anomaly and freeze flags ...) by value
        Assert.Equal((replayed.ActiveAlerts ?? []).Order(StringComparer.Ordinal), (view.ActiveAlerts ?? []).Order(StringComparer.Ordinal));
        Assert.Equal(replayed with
        {
            Blocks = view.Blocks, Holds = view.Holds, RecentUsage = view.RecentUsage, Metadata = view.Metadata, ActiveAlerts = view.ActiveAlerts,
        }, view);
        var now = app.Clock.GetUtcNow();
        Assert.Equal(Balance.Sum(replayed, now), Balance.Sum(view, now));
        Assert.True(Balance.Sum(replayed, now).IsConsistent);
        return replayed;
    }
}
