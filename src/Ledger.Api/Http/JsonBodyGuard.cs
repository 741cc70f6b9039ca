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

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength == 0 && request.Headers.TransferEncoding.Count == 0)
        {
            await next(context);
            return;
        }
        if (request.ContentLength > ErrorHandling.MaxBodyBytes)
        {
            await Problems.Write(context, "payload-too-large", $"Bodies are limited to {ErrorHandling.MaxBodyBytes} bytes.");
            return;
        }
        var bodyType = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        request.EnableBuffering();
        try
        {
            if (bodyType is not null)
                await JsonSerializer.DeserializeAsync(request.Body, bodyType, _options, context.RequestAborted);
            else
                using (await JsonDocument.ParseAsync(request.Body, cancellationToken: context.RequestAborted)) { }
        }
        catch (Exception ex) when (ex is JsonException or BadHttpRequestException)
        {
            await ErrorHandling.WriteFor(context, ex);
            return;
        }
        request.Body.Position = 0;
        await next(context);
    }
}
