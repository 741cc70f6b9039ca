using Microsoft.AspNetCore.Authentication;

namespace Ledger.Api.Guards;

/// <summary>
/// Repeated failed authentication from one client address is throttled: a request whose credentials are rejected
/// (unknown, revoked or malformed key) counts; once an address has <see cref="GuardOptions.FailedAuthenticationsPerWindow"/>
/// failures in the current minute, its further failing requests answer 429 <c>auth-throttled</c> with Retry-After
/// until the minute ends. Requests with a valid key are never throttled here, so an attacker cannot lock out
/// the legitimate clients behind the same address; requests without credentials do not count (they cost nothing).
/// Runs right after authentication, whose result (cached per request) it reads: no second lookup.
/// </summary>
public sealed class FailedAuthThrottleMiddleware(RequestDelegate next, FailedAuthThrottle throttle, TimeProvider clock)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync();
        if (result.Failure is not null && FailedAuthThrottle.ClientKey(context.Connection.RemoteIpAddress) is { } client)
        {
            var now = clock.GetUtcNow();
            if (throttle.IsThrottled(client, now, out var retryAfter))
            {
                await GuardProblems.Write(context, GuardProblems.AuthThrottled,
                    $"Too many failed authentication attempts from this address; retry in {retryAfter} s.", retryAfter);
                return;
            }
            throttle.RecordFailure(client, now);
        }
        await next(context);
    }
}
