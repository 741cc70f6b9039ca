using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>
/// Endpoints open to anyone (the Stripe webhook, health, problem pages) need no API key: their operations drop the
/// document's bearer requirement. The Stripe webhook reads its raw body itself, so its body and signature header are
/// described here.
/// </summary>
public sealed class OpenApiAnonymous : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAllowAnonymous>().Any()) return Task.CompletedTask;
        operation.Security = [];

        if (context.Description.RelativePath?.TrimStart('/') == "v1/webhooks/stripe")
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Stripe-Signature",
                In = ParameterLocation.Header,
                Required = true,
                Description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the endpoint secret>, as Stripe sends it.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = "A Stripe event object, exactly as Stripe sent it (any API version).",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
                },
            };
        }
        return Task.CompletedTask;
    }
}
