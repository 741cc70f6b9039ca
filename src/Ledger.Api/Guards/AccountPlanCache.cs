using Ledger.Api.Plans;
using Marten;
using Microsoft.Extensions.Caching.Memory;

namespace Ledger.Api.Guards;

/// <summary>
/// Account → requests per minute of its plan, remembered briefly (30 s; 5 s for "no such account") so the
/// guard costs no query per request on a busy account. Its own bounded cache, on the injected clock.
/// </summary>
public sealed class AccountPlanCache : IDisposable
{
    private sealed record Entry(int? RequestsPerMinute);

    private readonly IDocumentStore _store;
    private readonly PlanCatalog _plans;
    private readonly GuardOptions _options;
    private readonly MemoryCache _cache;

    public AccountPlanCache(IDocumentStore store, PlanCatalog plans, GuardOptions options, TimeProvider clock)
    {
        _store = store;
        _plans = plans;
        _options = options;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MaxCachedAccounts, Clock = new Clock(clock) });
    }

    /// <summary>The account's limit, or null when there is no such account (or its plan is not in the plans file): no limit.</summary>
    public async ValueTask<int?> RequestsPerMinuteAsync(string accountId, CancellationToken ct)
    {
        if (_cache.TryGetValue(accountId, out Entry? cached) && cached is not null) return cached.RequestsPerMinute;

        await using var session = _store.QuerySession();
        var account = await session.LoadAsync<Ledger.Domain.Accounts.Account>(accountId, ct);
        var limit = account is null ? null : _plans.Find(account.Plan)?.RequestsPerMinute;
        _cache.Set(accountId, new Entry(limit), new MemoryCacheEntryOptions
        {
            Size = 1,
            AbsoluteExpirationRelativeToNow = account is null ? _options.UnknownAccountCacheFor : _options.PlanCacheFor,
        });
        return limit;
    }

    public void Dispose() => _cache.Dispose();

    private sealed class Clock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
