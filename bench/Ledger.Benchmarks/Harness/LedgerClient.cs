using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ledger.Benchmarks.Harness;

public sealed record PlanInfo(string Id, long Allowance, long TrialGrant);
public sealed record CreditPackInfo(string Id, long Credits, long PriceMinor, string Currency);
public sealed record VerifyInfo(string Status, long Events, long Version);
public sealed record PlansInfo(IReadOnlyList<PlanInfo> Plans, IReadOnlyList<CreditPackInfo> CreditPacks);

/// <summary>The lifetime sums of an account's balance, as <c>GET /v1/accounts/{id}/balance</c> answers them.</summary>
public sealed record BalanceInfo(
    long Available, long Granted = 0, long Consumed = 0, long Expired = 0, long Voided = 0, long Refunded = 0,
    long Reserved = 0, long Frozen = 0, long Overage = 0, long Version = 0);

/// <summary>
/// The service's HTTP API as the benchmarks use it: with the bootstrap admin key, or (<see cref="WithKey"/>) with an
/// API key the scenario created, as a SaaS backend would call it. The load methods return the HTTP status only (the
/// answer is read to its end, as a client would), and keep the first 5xx answer's body as evidence.
/// </summary>
public sealed class LedgerClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly MediaTypeHeaderValue JsonUtf8 = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue _auth;
    private readonly bool _ownsHttp;
    private readonly ServerErrors _serverErrors;

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
        _auth = new AuthenticationHeaderValue("Bearer", adminKey);
        _ownsHttp = true;
        _serverErrors = new ServerErrors();
    }

    private LedgerClient(LedgerClient shared, string key)
    {
        _http = shared._http;
        _auth = new AuthenticationHeaderValue("Bearer", key);
        _ownsHttp = false;
        _serverErrors = shared._serverErrors;
    }

    /// <summary>The same connections, authenticated with another API key.</summary>
    public LedgerClient WithKey(string key) => new(this, key);

    /// <summary>The first answer with a 5xx status any load method received: "METHOD path: status body".</summary>
    public string? FirstServerError => _serverErrors.First;

    public async Task<PlansInfo> Plans(CancellationToken ct) =>
        await Send<PlansInfo>(HttpMethod.Get, "/v1/plans", null, ct);

    /// <summary>Opens an account; returns the status (201 created, 200 already open with the same body).</summary>
    public Task<int> OpenAccount(string accountId, string plan, CancellationToken ct) =>
        Status(HttpMethod.Post, "/v1/accounts", new { accountId, plan }, ct);

    /// <summary>The account's hash chain verdict (ADR 45): its status and the number of events checked.</summary>
    public async Task<VerifyInfo> Verify(string accountId, CancellationToken ct) =>
        await Send<VerifyInfo>(HttpMethod.Get, $"{AccountPath(accountId)}/verify", null, ct);

    public async Task<BalanceInfo> Balance(string accountId, CancellationToken ct) =>
        await Send<BalanceInfo>(HttpMethod.Get, $"{AccountPath(accountId)}/balance", null, ct);

    /// <summary>Creates an API key (admin); returns its secret.</summary>
    public async Task<string> CreateApiKey(string name, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var created = await Send<JsonElement>(HttpMethod.Post, "/v1/admin/api-keys", new { name, scopes }, ct);
        return created.GetProperty("secret").GetString() ?? throw new InvalidOperationException("POST /v1/admin/api-keys: no secret");
    }

    /// <summary>Grants a block of credits (admin).</summary>
    public Task<int> Grant(string accountId, long amount, string source, string reason, CancellationToken ct) =>
        Status(HttpMethod.Post, $"{AccountPath(accountId)}/grants", new { amount, source, reason }, ct);

    public Task<int> Reserve(string accountId, string reservationId, long amount, string? feature, CancellationToken ct) =>
        Status(HttpMethod.Post, $"{AccountPath(accountId)}/reservations", new { reservationId, amount, feature }, ct);

    public Task<int> Commit(string accountId, string reservationId, long amount, CancellationToken ct) =>
        Status(HttpMethod.Post, $"{AccountPath(accountId)}/reservations/{Uri.EscapeDataString(reservationId)}/commit", new { amount }, ct);

    public Task<int> Release(string accountId, string reservationId, string reason, CancellationToken ct) =>
        Status(HttpMethod.Post, $"{AccountPath(accountId)}/reservations/{Uri.EscapeDataString(reservationId)}/release", new { reason }, ct);

    public Task<int> Usage(string accountId, string usageId, long amount, string? feature, CancellationToken ct) =>
        Status(HttpMethod.Post, $"{AccountPath(accountId)}/usage", new { usageId, amount, feature }, ct);

    /// <summary>A GET with this client's key (<paramref name="anonymous"/>: without any), answer read to its end.</summary>
    public Task<int> Get(string path, CancellationToken ct, bool anonymous = false) =>
        Status(HttpMethod.Get, path, null, ct, anonymous);

    /// <summary>
    /// One counter from the service's Prometheus scrape (<c>/metrics</c>, anonymous unless the operator said otherwise), summed
    /// over its series; null when the service does not export it (telemetry off, metrics behind the admin key).
    /// </summary>
    public async Task<double?> Metric(string name, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, "/metrics", null, anonymous: true);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode) return null;
        double? sum = null;
        foreach (var line in (await response.Content.ReadAsStringAsync(ct)).Split('\n'))
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' '
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var value))
                sum = (sum ?? 0) + value;
        return sum;
    }

    /// <summary>Posts raw bytes exactly as given (a webhook's signature covers them); reads the whole answer.</summary>
    public async Task<int> PostRaw(string path, byte[] body, IEnumerable<(string Name, string Value)> headers, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonUtf8;
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return await Checked(request, response, ct);
    }

    public static string AccountPath(string accountId) => $"/v1/accounts/{Uri.EscapeDataString(accountId)}";

    private async Task<int> Status(HttpMethod method, string path, object? body, CancellationToken ct, bool anonymous = false)
    {
        using var request = Request(method, path, body, anonymous);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        return await Checked(request, response, ct);
    }

    private async Task<int> Checked(HttpRequestMessage request, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 && _serverErrors.First is null)
            _serverErrors.Keep($"{request.Method} {request.RequestUri}: {status} {await response.Content.ReadAsStringAsync(ct)}");
        return status;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, object? body, bool anonymous = false)
    {
        var request = new HttpRequestMessage(method, path);
        if (!anonymous) request.Headers.Authorization = _auth;
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

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed class ServerErrors
    {
        private string? _first;
        public string? First => Volatile.Read(ref _first);
        public void Keep(string error) => Interlocked.CompareExchange(ref _first, error.Length > 2000 ? error[..2000] + "..." : error, null);
    }
}
