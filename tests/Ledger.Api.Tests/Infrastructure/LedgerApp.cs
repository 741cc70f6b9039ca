using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// The real service, in process, on a database of its own on the real PostgreSQL, with a clock the
/// test controls. One per test class (<c>IClassFixture</c> is not used: the server fixture is per assembly,
/// so each class creates its app in <see cref="StartAsync"/>).
/// </summary>
public sealed class LedgerApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "lk_live_test_admin_key_0123456789abcdef";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    static LedgerApp() => JasperFxEnvironment.AutoStartHost = true;

    private LedgerApp(string connectionString, FakeTimeProvider clock, IDictionary<string, string>? settings = null)
    {
        ConnectionString = connectionString;
        Clock = clock;
        Settings = settings is null ? new Dictionary<string, string>() : new Dictionary<string, string>(settings);
    }

    public string ConnectionString { get; }
    public FakeTimeProvider Clock { get; }

    /// <summary>Extra settings (e.g. <c>LEDGER_STRIPE_WEBHOOK_SECRET</c>, <c>LEDGER_STRIPE_API_BASE</c>), applied like environment variables.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Starts an app on a fresh database; the clock starts at the real time (so durable timers line up).</summary>
    public static async Task<LedgerApp> StartAsync(
        PostgresServer server, string? prefix = null, string? connectionString = null, IDictionary<string, string>? settings = null)
    {
        connectionString ??= await server.CreateDatabaseAsync(prefix);
        var app = new LedgerApp(connectionString, new FakeTimeProvider(DateTimeOffset.UtcNow), settings);
        _ = app.Server; // build and start the host now
        return app;
    }

    /// <summary>Another process on the same database, as a second API node would be.</summary>
    public LedgerApp StartAnotherNode()
    {
        var app = new LedgerApp(ConnectionString, Clock, new Dictionary<string, string>(Settings));
        _ = app.Server;
        return app;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("LEDGER_DATABASE", ConnectionString);
        builder.UseSetting("LEDGER_BOOTSTRAP_ADMIN_KEY", AdminKey);
        // Per-account rate limits would throttle tests that send many requests in one fake minute;
        // the guard tests switch them back on (Guards/GuardsApp.cs).
        builder.UseSetting("LEDGER_RATE_LIMITS", "off");
        foreach (var (name, value) in Settings) builder.UseSetting(name, value);
        builder.UseEnvironment("Testing");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }

    /// <summary>
    /// Moves the clock forward by less than a microsecond, so its instants end in 7 ticks: PostgreSQL keeps microseconds
    /// (rounding JSON instants it compares, truncating the timestamps it stores), so what it holds differs from the
    /// event's own instant, as on a real clock nine times in ten. A test that depends on either case pins it this way.
    /// </summary>
    public void ClockOffTheMicrosecond() => Clock.Advance(TimeSpan.FromTicks((17 - Clock.GetUtcNow().UtcTicks % 10) % 10));

    public HttpClient Admin() => ClientWith(AdminKey);

    public HttpClient ClientWith(string? apiKey)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>Creates a key with the given scopes through the admin API and returns its secret.</summary>
    public async Task<string> CreateKeyAsync(string[] scopes, string? accountId = null)
    {
        var response = await Admin().PostAsJsonAsync("/v1/admin/api-keys", new { name = "test", scopes, accountId });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("secret").GetString()!;
    }

    public async Task OpenAccountAsync(string accountId, string plan = "free")
    {
        var response = await Admin().PostAsJsonAsync("/v1/accounts", new { accountId, plan });
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
    }

    public async Task GrantAsync(string accountId, long amount, string source = "manual", DateTimeOffset? expiresAt = null, int? priority = null, string? grantId = null)
    {
        var response = await Admin().PostAsJsonAsync($"/v1/accounts/{accountId}/grants",
            new { grantId, amount, source, reason = "test", expiresAt, priority });
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
    }
}

public static class HttpAssertions
{
    public static async Task<JsonElement> Json(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(LedgerApp.Json);

    /// <summary>Asserts a problem-details answer with the given status and stable type, and returns it.</summary>
    public static async Task<JsonElement> ShouldBeProblem(this HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal($"/problems/{code}", problem.GetProperty("type").GetString());
        return problem;
    }
}
