using Ledger.Domain.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Http;

/// <summary>
/// RFC 9457 problem details with a stable <c>type</c> per problem: <c>/problems/{code}</c>, resolved against the service's
/// own URL, where the type is documented. Every answer is made from a documented <see cref="ProblemType"/>.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(ProblemType type, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Type = type.Type, Title = type.Title, Status = type.Status, Detail = detail };
        if (extensions is not null)
            foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        return problem;
    }

    public static IResult Result(ProblemType type, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        AsResult(Create(type, detail, extensions));

    /// <summary>A decision's refusal: its status is its kind's.</summary>
    public static IResult From(Rejection rejection) =>
        AsResult(Create(ProblemType.Of(rejection.Code), rejection.Detail, rejection.Extensions));

    public static IResult Validation(IDictionary<string, string[]> errors) => AsResult(Create(ProblemTypes.Validation,
        "One or more fields are invalid.", new Dictionary<string, object?> { ["errors"] = errors }));

    /// <summary>
    /// The problem as an answer; it carries the request's correlation id as <c>traceId</c> (Observability/CorrelationId),
    /// except under an Idempotency-Key, whose replays must repeat the first answer byte for byte (the id is still in the
    /// <c>X-Correlation-Id</c> header).
    /// </summary>
    public static IResult AsResult(ProblemDetails problem) => new Traced(problem);

    private sealed class Traced(ProblemDetails problem) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (!problem.Extensions.ContainsKey("traceId") && !httpContext.Request.Headers.ContainsKey(Idempotency.IdempotencyMiddleware.Header))
                problem.Extensions["traceId"] = httpContext.TraceIdentifier;
            return Results.Json(problem, statusCode: problem.Status, contentType: ContentType).ExecuteAsync(httpContext);
        }
    }

    public static Task Write(HttpContext context, ProblemType type, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        AsResult(Create(type, detail, extensions)).ExecuteAsync(context);
}
