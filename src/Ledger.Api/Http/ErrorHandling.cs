using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Ledger.Api.Http;

/// <summary>
/// Whatever a client sends gets a problem document, never an HTML page or a bare 500: unreadable
/// JSON, wrong content types, oversized bodies, unknown routes and methods.
/// </summary>
public static class ErrorHandling
{
    public const long MaxBodyBytes = 1024 * 1024;

    public static void UseLedgerErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            return WriteFor(context, error);
        }));
        app.UseStatusCodePages(context => context.HttpContext.Response.StatusCode switch
        {
            404 => Problems.Write(context.HttpContext, ProblemTypes.NotFound, $"No resource at {context.HttpContext.Request.Path}."),
            405 => Problems.Write(context.HttpContext, ProblemTypes.MethodNotAllowed,
                $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}."),
            415 => Problems.Write(context.HttpContext, ProblemTypes.UnsupportedMediaType, "Send the body as application/json."),
            _ => Task.CompletedTask,
        });
        app.Use(async (context, next) =>
        {
            if (HasBody(context.Request) && HasHandler(context) && !IsJson(context.Request.ContentType))
            {
                await Problems.Write(context, ProblemTypes.UnsupportedMediaType,
                    $"Content-Type '{context.Request.ContentType}' is not accepted; send application/json.");
                return;
            }
            await next(context);
        });
    }

    public static Task WriteFor(HttpContext context, Exception? error)
    {
        // Only a body can hold the client's JSON, and once the body guard has read it as the endpoint's type it cannot fail
        // again: a JsonException in a request without a body, or after that, is the server's own data failing to read
        // back (a stored document edited by hand), which is no field of the client's.
        var json = HasBody(context.Request) && !context.Items.ContainsKey(JsonBodyGuard.TypedBodyRead) ? Find<JsonException>(error) : null;
        if (json is not null)
        {
            var (field, message) = Blame(json);
            return Problems.Write(context, field == "body" ? ProblemTypes.MalformedRequest : ProblemTypes.Validation,
                field == "body" ? "The body is not valid JSON of the expected shape." : "One or more fields are invalid.",
                new Dictionary<string, object?>
                {
                    ["errors"] = new Dictionary<string, string[]> { [field] = [message] },
                });
        }
        if (Find<BadHttpRequestException>(error) is { } bad)
        {
            return bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Problems.Write(context, ProblemTypes.PayloadTooLarge, $"Bodies are limited to {MaxBodyBytes} bytes.")
                : Problems.Write(context, ProblemTypes.MalformedRequest, bad.Message);
        }
        return Problems.Write(context, ProblemTypes.InternalError, "An unexpected error occurred; it has been logged.",
            new Dictionary<string, object?> { ["traceId"] = context.TraceIdentifier });
    }

    private static T? Find<T>(Exception? error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is T match) return match;
        return null;
    }

    /// <summary>
    /// A value of the wrong type or range, or an unknown member, is the field's fault; anything the
    /// JSON reader itself rejects (a cut-off body, bad syntax) is the body's.
    /// </summary>
    private static (string Field, string Message) Blame(JsonException json)
    {
        var path = json.Path is null or "$" ? null : json.Path.StartsWith("$.") ? json.Path[2..] : json.Path.TrimStart('$');
        if (path is null) return ("body", json.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? "The body must be a JSON object." : "Not valid JSON.");
        if (json.Message.Contains("could not be mapped", StringComparison.Ordinal)) return (path, "Unknown field.");
        if (json.Message.Contains("could not be converted", StringComparison.Ordinal))
            return (path, "Has the wrong type or is out of range (whole numbers up to 64 bits, strings, ISO-8601 instants).");
        return ("body", "Not valid JSON.");
    }

    /// <summary>HTTP/1.1: a body has a length above zero or a transfer encoding; neither means no body.</summary>
    public static bool HasBody(HttpRequest request) =>
        (request.ContentLength ?? 0) > 0 || request.Headers.TransferEncoding.Count > 0;

    /// <summary>Whether routing found an endpoint to run; otherwise 404/405 come first, whatever the body.</summary>
    public static bool HasHandler(HttpContext context) =>
        context.GetEndpoint() is { } endpoint && endpoint.DisplayName?.StartsWith("405", StringComparison.Ordinal) != true;

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.Split(';')[0].Trim().EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
