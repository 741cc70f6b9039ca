using System.Collections.Concurrent;
using Marten;

namespace Ledger.Api.Auth;

/// <summary>
/// API keys by the hash of their secret, read from PostgreSQL at most once a second per key and process: a key
/// revoked on another node stops working here within <see cref="Freshness"/>, one revoked on this node at once.
/// Unknown secrets are never cached (the failed-authentication throttle bounds them), so the cache holds only keys
/// that exist, up to <see cref="Capacity"/> of them.
/// </summary>
public sealed class ApiKeyCache(IDocumentStore store, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, (ApiKey Key, DateTimeOffset ReadAt)> _byHash = new(StringComparer.Ordinal);

    public async Task<ApiKey?> Find(string secretHash, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_byHash.TryGetValue(secretHash, out var cached) && now - cached.ReadAt < Freshness) return cached.Key;
        await using var session = store.QuerySession();
        var key = await session.Query<ApiKey>().FirstOrDefaultAsync(k => k.SecretHash == secretHash, ct);
        if (key is null)
        {
            _byHash.TryRemove(secretHash, out _);
            return null;
        }
        if (_byHash.Count >= Capacity) _byHash.Clear();
        _byHash[secretHash] = (key, now);
        return key;
    }

    /// <summary>A key changed on this node (revoked): the next request reads it again.</summary>
    public void Forget(string secretHash) => _byHash.TryRemove(secretHash, out _);
}
