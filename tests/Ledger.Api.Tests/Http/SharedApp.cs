using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// One <see cref="LedgerApp"/> shared by every test of a class (as an <c>IClassFixture</c>): starting an app costs
/// seconds, so tests that do not interfere share it and keep apart by using account ids of their own.
/// </summary>
public abstract class SharedApp(PostgresServer server, string prefix) : IAsyncLifetime
{
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await LedgerApp.StartAsync(server, prefix, settings: Settings);
        await SeedAsync();
    }

    /// <summary>Settings of the class's app (applied like environment variables), e.g. a Stripe webhook secret.</summary>
    protected virtual IDictionary<string, string>? Settings => null;

    /// <summary>Data every test of the class may rely on (and must not change in ways the others notice).</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }
}

/// <summary>Requests built by hand, for bodies and headers no well-behaved client would send.</summary>
public static class Raw
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> Post(
        this HttpClient client, string path, string? body, string? contentType = "application/json",
        params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return client.SendAsync(request, Ct);
    }

    public static Task<HttpResponseMessage> Send(this HttpClient client, HttpMethod method, string path) =>
        client.SendAsync(new HttpRequestMessage(method, path), Ct);

    public static Task<HttpResponseMessage> Get(this HttpClient client, string path) => client.GetAsync(path, Ct);

    public static string Json(object value) => JsonSerializer.Serialize(value, LedgerApp.Json);

    /// <summary>Runs a query on the app's own database (schema <c>ledger</c>) and returns every row as column/value pairs.</summary>
    public static Task<List<Dictionary<string, object?>>> Query(this LedgerApp app, string sql, params (string Name, object Value)[] parameters) =>
        Query(app.ConnectionString, sql, parameters);

    /// <summary>Runs a query on a database (schema <c>ledger</c>) and returns every row as column/value pairs.</summary>
    public static async Task<List<Dictionary<string, object?>>> Query(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<Dictionary<string, object?>>();
        while (await reader.ReadAsync(Ct))
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
                row[reader.GetName(i)] = await reader.IsDBNullAsync(i, Ct) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>A fresh account id, so tests sharing one app never see each other's accounts.</summary>
    public static string NewAccountId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 13)];
}

/// <summary>What an account's ledger says now (through the admin key), for before/after comparisons that show a request had no effect.</summary>
public sealed record LedgerTotals(
    long Version, long Granted, long Consumed, long Expired, long Voided, long Refunded, long Reserved, long Available, int Blocks)
{
    public static async Task<LedgerTotals> Of(LedgerApp app, string accountId)
    {
        var response = await app.Admin().GetAsync($"/v1/accounts/{accountId}", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET /v1/accounts/{accountId}: {(int)response.StatusCode} {text}");
        var account = JsonDocument.Parse(text).RootElement;
        var b = account.GetProperty("balance");
        return new LedgerTotals(
            account.GetProperty("version").GetInt64(),
            b.GetProperty("granted").GetInt64(), b.GetProperty("consumed").GetInt64(), b.GetProperty("expired").GetInt64(),
            b.GetProperty("voided").GetInt64(), b.GetProperty("refunded").GetInt64(), b.GetProperty("reserved").GetInt64(),
            b.GetProperty("available").GetInt64(), b.GetProperty("blocks").GetArrayLength());
    }
}
