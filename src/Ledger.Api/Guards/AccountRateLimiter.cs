using System.Threading.RateLimiting;
using Ledger.Api.Auth;
using Microsoft.AspNetCore.RateLimiting;

namespace Ledger.Api.Guards;

/// <summary>
/// Requests per minute per account, from the account's plan, with ASP.NET Core rate limiting: the global
/// limiter of <c>UseRateLimiter</c> is a <see cref="PartitionedRateLimiter"/> with one fixed-window limiter per
/// (account, window of the injected clock, limit). <see cref="AccountRateLimitMiddleware"/> decides before it
/// whether and how a request is metered (<see cref="Metered"/> in <c>HttpContext.Items</c>), since a partitioner
/// cannot query. Per process (ADR 8).
/// </summary>
public sealed class AccountRateLimiter : IDisposable
{
    private const string ItemKey = "Ledger.Guards.Metered";

    /// <summary>A request counted against <paramref name="AccountId"/>'s limit in <paramref name="Window"/>.</summary>
    public sealed record Metered(string AccountId, int Limit, RateWindow Window);

    /// <summary>
    /// The partition key. The window index is part of it, so each clock window starts a fresh limiter whatever the
    /// limiter's own (real-time) timer does; the limit is part of it, so a plan change takes effect at once.
    /// </summary>
    private readonly record struct Partition(string AccountId, long Window, int Limit);

    private static readonly Partition Unmetered = new("", 0, 0);

    private readonly TimeProvider _clock;

    public AccountRateLimiter(TimeProvider clock)
    {
        _clock = clock;
        Limiter = PartitionedRateLimiter.Create<HttpContext, Partition>(PartitionFor);
    }

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    public static void Meter(HttpContext context, Metered metered) => context.Items[ItemKey] = metered;

    public static Metered? MeteredOf(HttpContext context) => context.Items.TryGetValue(ItemKey, out var m) ? m as Metered : null;

    private static RateLimitPartition<Partition> PartitionFor(HttpContext context) =>
        MeteredOf(context) is { } m
            ? RateLimitPartition.GetFixedWindowLimiter(new Partition(m.AccountId, m.Window.Index, m.Limit), p =>
                new FixedWindowRateLimiterOptions
                {
                    PermitLimit = p.Limit,
                    Window = GuardOptions.Window,
                    QueueLimit = 0,
                    // The partitioned limiter replenishes (on its 100 ms heartbeat) only a full real window after the
                    // limiter was made, when this clock window is already over; then the idle limiter is dropped.
                    AutoReplenishment = true,
                })
            : RateLimitPartition.GetNoLimiter(Unmetered);

    /// <summary>RateLimit-* headers on an answer that was let through.</summary>
    public void WriteHeaders(HttpContext context)
    {
        if (MeteredOf(context) is not { } m) return;
        var remaining = Limiter.GetStatistics(context)?.CurrentAvailablePermits ?? 0;
        GuardProblems.SetRateLimitHeaders(context.Response, m.Limit, remaining, m.Window.SecondsLeft(_clock.GetUtcNow()), GuardOptions.Window);
    }

    /// <summary><see cref="RateLimiterOptions.OnRejected"/>: 429 <c>rate-limited</c> with Retry-After and the RateLimit-* headers.</summary>
    public async ValueTask OnRejected(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var m = MeteredOf(context);
        var reset = m?.Window.SecondsLeft(_clock.GetUtcNow()) ?? 1;
        if (m is not null) GuardProblems.SetRateLimitHeaders(context.Response, m.Limit, 0, reset, GuardOptions.Window);
        await GuardProblems.Write(context, GuardProblems.RateLimited,
            m is null
                ? $"Too many requests; retry in {reset} s."
                : $"Account '{m.AccountId}' may make {m.Limit} requests per minute on its plan; retry in {reset} s.",
            reset);
    }

    public void Dispose() => Limiter.Dispose();
}

/// <summary>
/// Decides whether a request is metered against an account: requests under <c>/v1/accounts/{accountId}</c> by an
/// authenticated caller that may see that account (so nobody can spend another account's limit), when the account
/// exists and its plan is known. Runs after authentication, before <c>UseRateLimiter</c>.
/// </summary>
public sealed class AccountRateLimitMiddleware(RequestDelegate next, AccountPlanCache plans, GuardOptions options, TimeProvider clock)
{
    private const string AccountsPrefix = "/v1/accounts/";

    public async Task InvokeAsync(HttpContext context)
    {
        if (options.AccountRateLimits
            && context.User.Identity?.IsAuthenticated == true
            && AccountIdOf(context) is { } accountId
            && context.User.CanSee(accountId)
            && await plans.RequestsPerMinuteAsync(accountId, context.RequestAborted) is int limit and > 0)
        {
            AccountRateLimiter.Meter(context,
                new AccountRateLimiter.Metered(accountId, limit, RateWindow.At(clock.GetUtcNow(), GuardOptions.Window)));
        }
        await next(context);
    }

    /// <summary>The <c>accountId</c> route value, or else the path segment after <c>/v1/accounts/</c> (for unmatched routes).</summary>
    public static string? AccountIdOf(HttpContext context)
    {
        if (context.Request.RouteValues.TryGetValue("accountId", out var value) && value is string { Length: > 0 } routed)
            return routed;
        var path = context.Request.Path.Value;
        if (path is null || !path.StartsWith(AccountsPrefix, StringComparison.OrdinalIgnoreCase)) return null;
        var rest = path.AsSpan(AccountsPrefix.Length);
        var slash = rest.IndexOf('/');
        var segment = slash < 0 ? rest : rest[..slash];
        return segment.IsEmpty ? null : segment.ToString();
    }
}
