using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Http;

/// <summary>
/// Reads a JSON body once, with the same serializer settings as the endpoint, before the endpoint
/// does, so a malformed body, a wrong type, a number beyond 64 bits or an unknown field is answered
/// with a stable problem naming the field instead of the framework's generic 400.
/// </summary>
public sealed class JsonBodyGuard(RequestDelegate next, IOptions<JsonOptions> json)
{
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;

    /// <summary>Set once the body was read as the endpoint's type: a JsonException after that is not the body's.</summary>
    public static readonly object TypedBodyRead = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !ErrorHandling.HasBody(request) || !ErrorHandling.HasHandler(context))
        {
            await next(context);
            return;
        }
        if (request.ContentLength > ErrorHandling.MaxBodyBytes)
        {
            await Problems.Write(context, ProblemTypes.PayloadTooLarge, $"Bodies are limited to {ErrorHandling.MaxBodyBytes} bytes.");
            return;
        }
        var bodyType = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        request.EnableBuffering();
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            // Only an escape can put U+0000 or a lone surrogate into a JSON string, so bodies without
            // one skip the document walk and are read once, typed.
            if (bodyType is null || body.Span.IndexOf("\\u"u8) >= 0)
            {
                using var document = JsonDocument.Parse(body);
                if (NulCharacterAt(document.RootElement, "") is { } field)
                {
                    await Problems.Write(context, ProblemTypes.Validation, "Strings may not contain the NUL character (\\u0000).",
                        new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = ["Contains \\u0000."] } });
                    return;
                }
            }
            if (bodyType is not null)
            {
                JsonSerializer.Deserialize(body.Span, bodyType, _options);
                context.Items[TypedBodyRead] = true;
            }
        }
        catch (Exception ex) when (ex is JsonException or BadHttpRequestException)
        {
            await ErrorHandling.WriteFor(context, ex);
            return;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to materialize a string holding a lone UTF-16 surrogate.
            await Problems.Write(context, ProblemTypes.Validation, "A string holds invalid Unicode (a lone surrogate).",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["body"] = ["Invalid Unicode in a string."] } });
            return;
        }
        request.Body.Position = 0;
        await next(context);
    }

    /// <summary>PostgreSQL's jsonb cannot store U+0000, so it is refused here rather than failing the write.</summary>
    private static string? NulCharacterAt(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString()!.Contains('\0') ? (path.Length == 0 ? "body" : path) : null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (property.Name.Contains('\0')) return at;
                    if (NulCharacterAt(property.Value, at) is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    if (NulCharacterAt(item, $"{path}[{i++}]") is { } found) return found;
                return null;
            default:
                return null;
        }
    }
}
