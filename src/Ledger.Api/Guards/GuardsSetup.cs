using Microsoft.AspNetCore.RateLimiting;

namespace Ledger.Api.Guards;

/// <summary>Abuse guards (ADR 8): requests per minute per account from its plan, and failed-authentication throttling.</summary>
public static class GuardsSetup
{
    public static IServiceCollection AddLedgerGuards(this IServiceCollection services)
    {
        services.AddSingleton(sp => new GuardOptions
        {
            AccountRateLimits = GuardOptions.ReadRateLimitsSwitch(sp.GetRequiredService<IConfiguration>()),
        });
        services.AddSingleton<AccountPlanCache>();
        services.AddSingleton<AccountRateLimiter>();
        services.AddSingleton<FailedAuthThrottle>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<AccountRateLimiter>((o, limiter) =>
        {
            o.GlobalLimiter = limiter.Limiter;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = limiter.OnRejected;
        });
        return services;
    }

    /// <summary>Right after <c>UseAuthentication</c> (both guards need to know who is calling), before authorization.</summary>
    public static IApplicationBuilder UseLedgerGuards(this IApplicationBuilder app)
    {
        app.UseMiddleware<FailedAuthThrottleMiddleware>();
        app.UseMiddleware<AccountRateLimitMiddleware>();
        app.UseRateLimiter();
        var limiter = app.ApplicationServices.GetRequiredService<AccountRateLimiter>();
        app.Use((context, next) =>
        {
            limiter.WriteHeaders(context);
            return next(context);
        });
        return app;
    }
}
