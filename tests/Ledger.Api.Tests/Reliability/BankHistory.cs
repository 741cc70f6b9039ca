using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Ledger.Api.Tests.Reliability;

/// <summary>One operation a bank-test client issued, with the ids it chose, so the checker can find it in the event stream.</summary>
public sealed record BankOp(int Client, int Seq, string Kind, string Account, string Path, string Body, string IdempotencyKey,
    string Id, long Amount, string? ReservationId = null, bool Abandoned = false, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// What came back: <see cref="Status"/> 0 when no answer ever came (every attempt cut off: the operation may or may
/// not have happened), the number of attempts, and which processes they went to.
/// </summary>
public sealed record BankOutcome(int Status, string Body, int Attempts, string Nodes, double Milliseconds = 0)
{
    public bool Acknowledged => Status is >= 200 and < 300;
    public bool Unknown => Status == 0;
    public bool Rejected => Status >= 400;
}

/// <summary>
/// The bank test's history (Jepsen style): every request and its final answer, appended by the clients. A request is
/// retried with the same <c>Idempotency-Key</c> and body on the next process while there is no answer or a 5xx/409
/// request-in-progress (a process killed, PostgreSQL restarting), so every answer recorded is the service's one answer.
/// </summary>
public sealed class BankHistory
{
    public ConcurrentQueue<(BankOp Op, BankOutcome Outcome)> Entries { get; } = new();
    private long _attempts, _retries;
    public long Attempts => Interlocked.Read(ref _attempts);
    public long Retries => Interlocked.Read(ref _retries);

    public static TimeSpan RetryFor { get; set; } = TimeSpan.FromSeconds(120);

    public async Task<BankOutcome> SendAsync(BankOp op, IReadOnlyList<HttpClient> nodes, int firstNode, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var visited = new StringBuilder();
        for (var attempt = 0; ; attempt++)
        {
            var node = (firstNode + attempt) % nodes.Count;
            visited.Append(node);
            Interlocked.Increment(ref _attempts);
            if (attempt > 0) Interlocked.Increment(ref _retries);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, op.Path) { Content = new StringContent(op.Body, Encoding.UTF8, "application/json") };
                request.Headers.TryAddWithoutValidation("Idempotency-Key", op.IdempotencyKey);
                using var response = await nodes[node].SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                var status = (int)response.StatusCode;
                var retryable = status >= 500 || (status == 409 && body.Contains("request-in-progress", StringComparison.Ordinal));
                if (!retryable)
                {
                    var outcome = new BankOutcome(status, body, attempt + 1, visited.ToString(), (DateTime.UtcNow - started).TotalMilliseconds);
                    Entries.Enqueue((op, outcome));
                    return outcome;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
            {
                // cut off: the next process gets the same request
            }
            if (DateTime.UtcNow - started > RetryFor || ct.IsCancellationRequested)
            {
                var unknown = new BankOutcome(0, "", attempt + 1, visited.ToString(), (DateTime.UtcNow - started).TotalMilliseconds);
                Entries.Enqueue((op, unknown));
                return unknown;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 * (1 << Math.Min(attempt, 6)))), CancellationToken.None);
        }
    }

    public static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(15),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static JsonElement? Json(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool IsStatus(BankOutcome o, HttpStatusCode code) => o.Status == (int)code;
}
