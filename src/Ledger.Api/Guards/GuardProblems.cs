using System.Globalization;
using Ledger.Api.Http;

namespace Ledger.Api.Guards;

/// <summary>The guards' 429 answers: problem details with a stable type, and the rate-limit headers.</summary>
public static class GuardProblems
{
    public static readonly ProblemType RateLimited = ProblemTypes.RateLimited;
    public static readonly ProblemType AuthThrottled = ProblemTypes.AuthThrottled;

    /// <summary>
    /// IETF draft "RateLimit header fields for HTTP" (the DESIGN names): the limit of the window, what is left of it,
    /// and the seconds until it resets. <c>RateLimit-Policy</c> says the limit is per 60-second window.
    /// </summary>
    public static void SetRateLimitHeaders(HttpResponse response, int limit, long remaining, int resetSeconds, TimeSpan window)
    {
        var headers = response.Headers;
        headers["RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = Math.Max(0, remaining).ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Reset"] = resetSeconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"{limit};w={(int)window.TotalSeconds}");
    }

    public static Task Write(HttpContext context, ProblemType type, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Write(context, type, detail, new Dictionary<string, object?> { ["retryAfterSeconds"] = retryAfterSeconds });
    }
}
