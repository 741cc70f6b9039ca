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
    private readonly ILogger<AccountPlanCache> _log;

    public AccountPlanCache(IDocumentStore store, PlanCatalog plans, GuardOptions options, TimeProvider clock, ILogger<AccountPlanCache> log)
    {
        _log = log;
        _store = store;
        _plans = plans;
        _options = options;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MaxCachedAccounts, Clock = new Clock(clock) });
    }

    /// <summary>
    /// The account's limit, or null (no limit) when there is no such account, its plan is not in the plans file, the id
    /// cannot name an account, or the lookup failed: the guard fails open and leaves the answer to the endpoint.
    /// </summary>
    public async ValueTask<int?> RequestsPerMinuteAsync(string accountId, CancellationToken ct)
    {
        if (accountId.Length > 256 || accountId.AsSpan().ContainsAnyInRange('\0', '\x1f')) return null;
        if (_cache.TryGetValue(accountId, out Entry? cached) && cached is not null) return cached.RequestsPerMinute;

        Ledger.Domain.Accounts.Account? account;
        try
        {
            await using var session = _store.QuerySession();
            account = await session.LoadAsync<Ledger.Domain.Accounts.Account>(accountId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.LogWarning(ex, "Could not read the plan of account {AccountId}; not rate limiting this request", accountId);
            return null;
        }
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
