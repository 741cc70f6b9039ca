using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ledger.Api.Observability;

/// <summary>
/// Every request gets a correlation id: the caller's <c>X-Correlation-Id</c> (1-128 characters of
/// <c>[A-Za-z0-9._:-]</c>), else the trace id of its W3C <c>traceparent</c>, else a new trace id. It becomes the request's
/// <see cref="HttpContext.TraceIdentifier"/> (so problem details' <c>traceId</c> and the events' correlation id carry
/// it), is echoed in the response's <c>X-Correlation-Id</c>, and opens a log scope so every log line of the request
/// carries it as <c>CorrelationId</c>. ASP.NET Core's own request lines ("Request starting/finished") are written outside
/// the middleware: <see cref="CorrelatingHttpContextFactory"/> sets the id before them, so they carry it as
/// <c>RequestId</c> (or, for a generated one, as their <c>TraceId</c>, which it is).
/// </summary>
public sealed partial class CorrelationId(RequestDelegate next, ILogger<CorrelationId> log)
{
    public const string Header = "X-Correlation-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var id = Choose(context.Request.Headers[Header].ToString(), context.Request.Headers["traceparent"].ToString(), Activity.Current);
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        Activity.Current?.SetTag("ledger.correlation_id", id);
        using (log.BeginScope(new Scope(id)))
            await next(context);
    }

    /// <summary>The caller's id, if it sent a usable one (header or traceparent); null: the request's trace id will be used.</summary>
    public static string? Given(string? header, string? traceparent)
    {
        if (!string.IsNullOrEmpty(header) && Valid().IsMatch(header)) return header;
        if (!string.IsNullOrEmpty(traceparent) && ActivityContext.TryParse(traceparent, null, out var parent)) return parent.TraceId.ToHexString();
        return null;
    }

    public static string Choose(string? header, string? traceparent, Activity? activity)
    {
        if (!string.IsNullOrEmpty(header) && Valid().IsMatch(header)) return header;
        if (activity is not null && activity.TraceId != default) return activity.TraceId.ToHexString();
        if (!string.IsNullOrEmpty(traceparent) && ActivityContext.TryParse(traceparent, null, out var parent)) return parent.TraceId.ToHexString();
        return ActivityTraceId.CreateRandom().ToHexString();
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex Valid();

    /// <summary>A scope of one named value: JSON logs show it as <c>"CorrelationId": "..."</c>, text logs as <c>CorrelationId:...</c>.</summary>
    private sealed class Scope(string id) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new("CorrelationId", id) : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => 1;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"CorrelationId:{id}";
    }
}

/// <summary>
/// Sets a caller-given correlation id as the request's <see cref="HttpContext.TraceIdentifier"/> when the context is
/// created, before ASP.NET Core opens its request log scope (which copies it as <c>RequestId</c>).
/// </summary>
public sealed class CorrelatingHttpContextFactory(IServiceProvider services) : Microsoft.AspNetCore.Http.IHttpContextFactory
{
    private readonly DefaultHttpContextFactory _inner = new(services);

    public HttpContext Create(Microsoft.AspNetCore.Http.Features.IFeatureCollection featureCollection)
    {
        var context = _inner.Create(featureCollection);
        var headers = context.Request.Headers;
        if (CorrelationId.Given(headers[CorrelationId.Header].ToString(), headers["traceparent"].ToString()) is { } id)
            context.TraceIdentifier = id;
        return context;
    }

    public void Dispose(HttpContext httpContext) => _inner.Dispose(httpContext);
}
