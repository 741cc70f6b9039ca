using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Ledger.Client;

/// <summary>Where the service is and how requests are retried.</summary>
public sealed class LedgerClientOptions
{
    /// <summary>The service, e.g. <c>http://127.0.0.1:5080</c> (or set the HttpClient's BaseAddress).</summary>
    public Uri? BaseAddress { get; set; }
    /// <summary><c>lk_live_...</c>, sent as <c>Authorization: Bearer</c>.</summary>
    public string ApiKey { get; set; } = "";
    /// <summary>Attempts after the first for network errors, 5xx, 429 and 409 request-in-progress (default 4).</summary>
    public int Retries { get; set; } = 4;
    /// <summary>First backoff, doubled each attempt, with jitter (default 200 ms).</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Upper bound of one wait, also for <c>Retry-After</c> (default 20 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// The Ledger v1 API (every operation, generated from the OpenAPI document) and <see cref="MeteredAsync{T}"/>. A typed
/// client for IHttpClientFactory: <c>services.AddHttpClient&lt;LedgerClient&gt;()</c> with <see cref="LedgerClientOptions"/>
/// registered, or <c>new LedgerClient(httpClient, options)</c>.
/// </summary>
public partial class LedgerClient(HttpClient http, LedgerClientOptions options)
{
    private static readonly HashSet<HttpStatusCode> RetriedStatuses =
        [HttpStatusCode.TooManyRequests, HttpStatusCode.InternalServerError, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout];

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static HttpContent Content<T>(T body, JsonTypeInfo<T> type) =>
        new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, type)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    private static HttpContent? Content(JsonObject? body) =>
        body is null ? null : Content(body, LedgerJson.Default.JsonObject);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, (string Name, string? Value)[]? query, HttpContent? content,
        string? idempotencyKey, JsonTypeInfo<T> type, CancellationToken ct)
    {
        var uri = path + Query(query);
        if (options.BaseAddress is { } baseAddress) uri = new Uri(baseAddress, uri).ToString();
        var body = content is null ? null : await content.ReadAsByteArrayAsync(ct);
        if (method != HttpMethod.Get) idempotencyKey ??= Guid.NewGuid().ToString();
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                if (attempt >= options.Retries) throw new LedgerConnectionException($"{method} {path}: {ex.Message}", ex);
                await Task.Delay(Backoff(attempt, null), ct);
                continue;
            }
            using (response)
            {
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                if (response.IsSuccessStatusCode) return JsonSerializer.Deserialize(bytes, type)!;
                var problem = LedgerException.ReadProblem(bytes, (int)response.StatusCode, response.ReasonPhrase);
                var code = LedgerException.CodeOf(problem);
                if ((RetriedStatuses.Contains(response.StatusCode) || code == "request-in-progress") && attempt < options.Retries)
                {
                    await Task.Delay(Backoff(attempt, response.Headers.RetryAfter), ct);
                    continue;
                }
                throw LedgerException.From((int)response.StatusCode, problem, response.Headers);
            }
        }
    }

    private TimeSpan Backoff(int attempt, RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta) return delta < options.MaxDelay ? delta : options.MaxDelay;
        var ceiling = Math.Min(options.MaxDelay.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private static string Query((string Name, string? Value)[]? query)
    {
        if (query is null) return "";
        var text = new StringBuilder();
        foreach (var (name, value) in query)
            if (value is not null) text.Append(text.Length == 0 ? '?' : '&').Append(Escape(name)).Append('=').Append(Escape(value));
        return text.ToString();
    }
}
