using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ledger.Benchmarks.Harness;

public sealed record PlanInfo(string Id, long Allowance, long TrialGrant);
public sealed record CreditPackInfo(string Id, long Credits, long PriceMinor, string Currency);
public sealed record PlansInfo(IReadOnlyList<PlanInfo> Plans, IReadOnlyList<CreditPackInfo> CreditPacks);
public sealed record BalanceInfo(long Available);

/// <summary>The service's HTTP API as the benchmarks use it, with the bootstrap admin key.</summary>
public sealed class LedgerClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonUtf8 = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue _admin;

    public LedgerClient(Uri baseAddress, string adminKey, int maxConnections)
    {
        // One pooled connection per concurrent client, kept for the whole run: connection setup is not what is measured.
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _admin = new AuthenticationHeaderValue("Bearer", adminKey);
    }

    public async Task<PlansInfo> Plans(CancellationToken ct) =>
        await Send<PlansInfo>(HttpMethod.Get, "/v1/plans", null, ct);

    /// <summary>Opens an account; returns the status (201 created, 200 already open with the same body).</summary>
    public async Task<int> OpenAccount(string accountId, string plan, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Post, "/v1/accounts", new { accountId, plan });
        using var response = await _http.SendAsync(request, ct);
        return (int)response.StatusCode;
    }

    public async Task<BalanceInfo> Balance(string accountId, CancellationToken ct) =>
        await Send<BalanceInfo>(HttpMethod.Get, $"/v1/accounts/{Uri.EscapeDataString(accountId)}/balance", null, ct);

    /// <summary>Posts raw bytes exactly as given (a webhook's signature covers them); reads the whole answer.</summary>
    public async Task<int> PostRaw(string path, byte[] body, IEnumerable<(string Name, string Value)> headers, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonUtf8;
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return (int)response.StatusCode;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = _admin;
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        return request;
    }

    private async Task<T> Send<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = Request(method, path, body);
        using var response = await _http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        return await response.Content.ReadFromJsonAsync<T>(Json, ct) ?? throw new InvalidOperationException($"{method} {path}: empty body");
    }

    public void Dispose() => _http.Dispose();
}
