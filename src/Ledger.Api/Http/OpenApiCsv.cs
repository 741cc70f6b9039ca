using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>An endpoint that also answers <c>text/csv</c> (with <c>?format=csv</c> or <c>Accept: text/csv</c>): the document says so.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ProducesCsvAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>An example of the CSV, shown in the document.</summary>
    public string? Example { get; init; }
}

/// <summary>Adds <c>text/csv</c> (a string: RFC 4180 text) beside <c>application/json</c> to the 200 of endpoints marked <see cref="ProducesCsvAttribute"/>.</summary>
public sealed class OpenApiCsv : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<ProducesCsvAttribute>().FirstOrDefault() is not { } csv) return Task.CompletedTask;
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response) return Task.CompletedTask;
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content["text/csv"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = csv.Description },
            Example = csv.Example is null ? null : System.Text.Json.Nodes.JsonValue.Create(csv.Example),
        };
        return Task.CompletedTask;
    }
}
