using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>
/// Request bodies as clients may send them: a field is required only if its validator requires it unconditionally
/// (<c>NotNull</c>/<c>NotEmpty</c> without <c>When</c>), and an optional field is left out rather than sent as null, so
/// request properties are not nullable. Generators then type <c>{"amount":5}</c> as a valid usage request.
/// </summary>
public sealed class OpenApiRequestBodies : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        if (context.ApplicationServices.GetService(typeof(IValidator<>).MakeGenericType(type)) is not IValidator validator) return Task.CompletedTask;
        var required = validator.CreateDescriptor().Rules
            .Where(r => r.PropertyName is not null && r.Components.Any(c => !c.HasCondition && !c.HasAsyncCondition
                && c.Validator is INotNullValidator or INotEmptyValidator))
            .Select(r => JsonNamingPolicy.CamelCase.ConvertName(r.PropertyName!))
            .ToHashSet(StringComparer.Ordinal);
        schema.Required = required;
        foreach (var property in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).Values.OfType<OpenApiSchema>())
            if (property.Type is { } t && t.HasFlag(JsonSchemaType.Null)) property.Type = t & ~JsonSchemaType.Null;
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every operation lists the problems any client can meet, each with an example from the problem catalog: 401 and 403
/// (keyed operations), 404 and 429 (an account in the path; 429 is its plan's rate limit), 409 and 422 (writes:
/// Idempotency-Key in progress or reused). <c>ProblemDetails</c> is RFC 9457's, open to extensions, with <c>errors</c>.
/// </summary>
public sealed class OpenApiProblems : IOpenApiOperationTransformer, IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var path = "/" + context.Description.RelativePath;
        var keyed = !metadata.OfType<IAllowAnonymous>().Any() && metadata.OfType<IAuthorizeData>().Any();
        var write = context.Description.HttpMethod is "POST" or "DELETE";
        operation.Responses ??= new OpenApiResponses();
        if (keyed)
        {
            Add(operation, 401, ProblemTypes.ApiKeyMissing, ProblemTypes.ApiKeyInvalid);
            Add(operation, 403, ProblemTypes.Forbidden);
        }
        if (path.Contains("{accountId}", StringComparison.Ordinal))
        {
            Add(operation, 404, ProblemType.Of(Domain.Accounts.RejectionCodes.AccountNotFound));
            if (keyed) Add(operation, 429, ProblemTypes.RateLimited);
        }
        if (context.Description.ParameterDescriptions.Count > 0 || write) Add(operation, 400, ProblemTypes.Validation);
        if (keyed && write)
        {
            Add(operation, 409, ProblemTypes.RequestInProgress);
            Add(operation, 422, ProblemTypes.IdempotencyKeyReused);
        }
        DocumentReplays(operation);
        foreach (var (status, response) in operation.Responses)
            if (status.StartsWith('4') && response is OpenApiResponse { Content: { } content } && content.TryGetValue(Problems.ContentType, out var media)
                && media.Example is null && media.Examples is not { Count: > 0 } && ProblemTypes.All.FirstOrDefault(t => t.Status.ToString() == status) is { } sample)
                media.Example = Example(sample);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A write answers 201 when it happened and 200 when it was a replay (same id and body), with the same body; the
    /// endpoint's return type (<c>AccountWrite</c>, how the pipeline renders) is not that body, so the 200 gets the 201's.
    /// </summary>
    private static void DocumentReplays(OpenApiOperation operation)
    {
        if (operation.Responses!.TryGetValue("200", out var ok) && ok is OpenApiResponse { Content: { } content }
            && content.Values.Any(m => m.Schema is OpenApiSchemaReference { Reference.Id: "AccountWrite" })
            && operation.Responses.TryGetValue("201", out var created) && created is OpenApiResponse { Content: { Count: > 0 } createdContent })
            operation.Responses["200"] = new OpenApiResponse
            {
                Description = "A replay of an earlier identical request (same id and body): the first answer's body",
                Content = createdContent.ToDictionary(p => p.Key, p => new OpenApiMediaType { Schema = p.Value.Schema }),
            };
    }

    private static void Add(OpenApiOperation operation, int status, params ProblemType[] types)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var declared) && declared is not OpenApiResponse { Content: null or { Count: 0 } }) return;
        var media = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails") };
        if (types.Length == 1) media.Example = Example(types[0]);
        else media.Examples = types.ToDictionary(t => t.Code, t => (IOpenApiExample)new OpenApiExample { Summary = t.Title, Value = Example(t) });
        operation.Responses[key] = new OpenApiResponse
        {
            Description = string.Join("; ", types.Select(t => $"{t.Title} ({t.Type})")),
            Content = new Dictionary<string, OpenApiMediaType> { [Problems.ContentType] = media },
        };
    }

    private static JsonNode Example(ProblemType type) => JsonSerializer.SerializeToNode(type.Example())!;

    private static readonly string[] TagOrder =
        ["Accounts", "Balances", "Reservations", "Usage", "Refunds", "Grants", "Quotas", "Entitlements", "Alerts", "Plans", "Audit", "Projections", "Stripe", "Operator webhooks", "Metrics", "API keys"];

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        var text = new OpenApiSchema { Type = JsonSchemaType.String };
        document.Components.Schemas["ProblemDetails"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details; `type` is a URI relative to the service (GET it for when it happens and what to do). "
                + "Problems may carry more members (e.g. available, requested, requiredScope, retryAfterSeconds).",
            Required = new HashSet<string> { "type", "title", "status" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "/problems/{code}" },
                ["title"] = text,
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = text,
                ["instance"] = text,
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object, Description = "Validation: messages per field (JSON field or query parameter name).",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = text },
                },
            },
            AdditionalProperties = new OpenApiSchema(), // open: a problem's own members (available, requiredScope ...)
        };
        // Only ever the mistaken 200 of writes (DocumentReplays), and the command type only it referenced.
        document.Components.Schemas.Remove("AccountWrite");
        document.Components.Schemas.Remove("IAccountCommand");
        if (document.Tags is { Count: > 0 } tags)
            document.Tags = new HashSet<OpenApiTag>(tags.OrderBy(t => Array.IndexOf(TagOrder, t.Name) is var i && i < 0 ? int.MaxValue : i));
        return Task.CompletedTask;
    }
}
