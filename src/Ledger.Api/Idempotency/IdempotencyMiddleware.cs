using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Marten;

namespace Ledger.Api.Idempotency;

/// <summary>
/// Stripe's Idempotency-Key semantics for every mutating POST, scoped to the API key: the same key
/// and body replays the first reply; another body is 422; a request still running is 409.
/// Only replies the write path recorded (in its own transaction) are ever replayed.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private static readonly ConcurrentDictionary<string, byte> InFlight = new();

    public async Task InvokeAsync(HttpContext context, IDocumentStore store, TimeProvider clock)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Headers.TryGetValue(Header, out var values)
            || context.User.Identity?.IsAuthenticated != true)
        {
            await next(context);
            return;
        }

        var key = values.ToString();
        if (key.Length is 0 or > 255 || values.Count > 1)
        {
            await Problems.Write(context, ProblemTypes.Validation, "Idempotency-Key must be one value of 1 to 255 characters.",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [Header] = ["Must be 1 to 255 characters."] } });
            return;
        }

        var fingerprint = await Fingerprint(context.Request);
        var id = $"{context.User.KeyId()}:{key}";
        bool expired;
        await using (var session = store.QuerySession())
        {
            var existing = await session.LoadAsync<IdempotencyRecord>(id, context.RequestAborted);
            if (existing is not null && existing.ExpiresAt > clock.GetUtcNow())
            {
                if (existing is { Receipt: { } receipt } && existing.Fingerprint == fingerprint)
                {
                    // an account write: its endpoint renders the stored outcome
                    context.Features.Set(new IdempotentReplay(receipt));
                    await next(context);
                    return;
                }
                await Replay(context, existing, fingerprint);
                return;
            }
            expired = existing is not null;
        }

        if (!InFlight.TryAdd(id, 0))
        {
            await Problems.Write(context, ProblemTypes.RequestInProgress, "A request with this Idempotency-Key is still being processed.");
            return;
        }
        try
        {
            context.Features.Set(new IdempotencyScope(id, key, fingerprint, expired));
            await next(context);
        }
        finally
        {
            InFlight.TryRemove(id, out _);
        }
    }

    public static Task Replay(HttpContext context, IdempotencyRecord record, string fingerprint) =>
        record.Fingerprint == fingerprint
            ? new HttpReply(record.Status, record.Body, record.ContentType).ToResult(replayed: true).ExecuteAsync(context)
            : Problems.Write(context, ProblemTypes.IdempotencyKeyReused,
                "This Idempotency-Key was used with a different request (method, path or body).");

    private static async Task<string> Fingerprint(HttpRequest request)
    {
        request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
            sha.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
