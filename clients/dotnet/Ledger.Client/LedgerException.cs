using System.Net.Http.Headers;
using System.Text.Json;

namespace Ledger.Client;

/// <summary>
/// A problem answer (RFC 9457) from the service. Each problem type has its own subclass, generated from <c>GET /problems</c>
/// (<see cref="InsufficientCreditsException"/> for <c>/problems/insufficient-credits</c> ...).
/// </summary>
public abstract partial class LedgerException : Exception
{
    protected LedgerException(int status, JsonElement problem, HttpResponseHeaders? headers)
        : base($"{status} {Member(problem, "type")}: {Member(problem, "detail") ?? Member(problem, "title")}")
    {
        Status = status;
        Problem = problem;
        Headers = headers;
        Code = CodeOf(problem);
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }
    /// <summary>The problem document (type, title, status, detail and the problem's own members).</summary>
    public JsonElement Problem { get; }
    /// <summary>The answer's headers (Retry-After, RateLimit-*).</summary>
    public HttpResponseHeaders? Headers { get; }
    /// <summary>The last segment of the problem's type, e.g. <c>insufficient-credits</c>.</summary>
    public string Code { get; }

    internal static string CodeOf(JsonElement problem) => Member(problem, "type")?.Split('/').Last() ?? "";

    private static string? Member(JsonElement problem, string name) =>
        problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static JsonElement ReadProblem(byte[] body, int status, string? reason)
    {
        try
        {
            var json = JsonSerializer.Deserialize(body, LedgerJson.Default.JsonElement);
            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("type", out _)) return json;
        }
        catch (JsonException)
        {
        }
        var fallback = $$"""{"type":"/problems/http-{{status}}","title":{{JsonSerializer.Serialize(reason ?? "", LedgerJson.Default.String)}},"status":{{status}}}""";
        return JsonSerializer.Deserialize(fallback, LedgerJson.Default.JsonElement);
    }

    internal static LedgerException From(int status, JsonElement problem, HttpResponseHeaders? headers) =>
        ByCode.TryGetValue(CodeOf(problem), out var create) ? create(status, problem, headers) : new LedgerProblemException(status, problem, headers);
}

/// <summary>A problem type this client version does not know yet.</summary>
public sealed class LedgerProblemException(int status, JsonElement problem, HttpResponseHeaders? headers) : LedgerException(status, problem, headers);

/// <summary>No answer after every retry (connection refused or reset, timeout).</summary>
public sealed class LedgerConnectionException(string message, Exception inner) : Exception(message, inner);
