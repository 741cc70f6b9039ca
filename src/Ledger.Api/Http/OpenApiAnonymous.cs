using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>
/// An endpoint that reads its raw body itself (to check a signature over its exact bytes), so ASP.NET Core cannot
/// describe it: the document gets the signature header and the JSON body from here.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SignedJsonBodyAttribute(string header, string headerDescription, string bodyDescription) : Attribute
{
    public string Header { get; } = header;
    public string HeaderDescription { get; } = headerDescription;
    public string BodyDescription { get; } = bodyDescription;
}

/// <summary>
/// Endpoints open to anyone (the Stripe webhook, health, problem pages) need no API key: their operations drop the
/// document's bearer requirement. Endpoints marked <see cref="SignedJsonBodyAttribute"/> get their header and body.
/// </summary>
public sealed class OpenApiAnonymous : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAllowAnonymous>().Any()) return Task.CompletedTask;
        operation.Security = [];

        if (metadata.OfType<SignedJsonBodyAttribute>().FirstOrDefault() is { } signed)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = signed.Header,
                In = ParameterLocation.Header,
                Required = true,
                Description = signed.HeaderDescription,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = signed.BodyDescription,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
                },
            };
        }
        return Task.CompletedTask;
    }
}
