using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Validators;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>
/// A request field whose null means something (e.g. "back to the plan's threshold"): it stays nullable in the document,
/// where every other request field is left out rather than sent as null.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NullMeansDefaultAttribute : Attribute;

/// <summary>
/// Request bodies as clients may send them: a field is required only if its validator requires it unconditionally
/// (<c>NotNull</c>/<c>NotEmpty</c> without <c>When</c>), and an optional field is left out rather than sent as null, so
/// request properties (of every <c>*Request</c> schema, nested ones included) are not nullable, unless marked
/// <see cref="NullMeansDefaultAttribute"/>. Generators then type <c>{"amount":5}</c> as a valid usage request.
/// </summary>
public sealed class OpenApiRequestBodies : IOpenApiSchemaTransformer, IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        if (context.ApplicationServices.GetService(typeof(IValidator<>).MakeGenericType(type)) is not IValidator validator) return Task.CompletedTask;
        var required = validator.CreateDescriptor().Rules
            .Where(r => r.PropertyName is not null && !r.PropertyName.Contains('.') && r.Components.Any(c => !c.HasCondition && !c.HasAsyncCondition
                && c.Validator is INotNullValidator or INotEmptyValidator))
            .Select(r => JsonNamingPolicy.CamelCase.ConvertName(r.PropertyName!))
            .ToHashSet(StringComparer.Ordinal);
        schema.Required = required;
        return Task.CompletedTask;
    }

    private static readonly HashSet<string> NullMeansDefault = typeof(OpenApiRequestBodies).Assembly.GetTypes()
        .SelectMany(t => t.GetProperties().Where(p => p.IsDefined(typeof(NullMeansDefaultAttribute), inherit: false))
            .Select(p => $"{t.Name}.{JsonNamingPolicy.CamelCase.ConvertName(p.Name)}"))
        .ToHashSet(StringComparer.Ordinal);

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        foreach (var (name, component) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            if (!name.EndsWith("Request", StringComparison.Ordinal) || component is not OpenApiSchema { Properties: { } properties }) continue;
            foreach (var (property, value) in properties.ToList())
            {
                if (NullMeansDefault.Contains($"{name}.{property}")) continue;
                if (value is OpenApiSchema { Type: { } t } plain && t.HasFlag(JsonSchemaType.Null)) plain.Type = t & ~JsonSchemaType.Null;
                if (value is OpenApiSchema { OneOf: { Count: 2 } oneOf } && oneOf.Count(IsNull) == 1) properties[property] = oneOf.Single(o => !IsNull(o));
            }
        }
        return Task.CompletedTask;
    }

    private static bool IsNull(IOpenApiSchema schema) => schema is OpenApiSchema { Type: JsonSchemaType.Null };
}

/// <summary>
/// Every operation lists the problems a client can meet, each with an example from the problem catalog: 401 and 403
/// (keyed operations; an admin operation across accounts also refuses a key bound to one account), 404 and 429 (an
/// account in the path; 429 is its plan's rate limit), 400 (a body or query parameters), 409 and 422 (keyed writes:
/// Idempotency-Key in progress or reused), plus the operation's own (<see cref="OpenApiExamples"/>: insufficient credits,
/// a resolved reservation ...), listed together under their status. Wolverine's own guesses go: a 200 of the method's
/// return type (an <c>AccountWrite</c> or <c>IResult</c> no client sees) and a 404 without content on every operation.
/// <c>ProblemDetails</c> is RFC 9457's, open to extensions, with <c>errors</c>.
/// </summary>
public sealed class OpenApiProblems : IOpenApiOperationTransformer, IOpenApiDocumentTransformer
{
    private static readonly Type[] Internal = [typeof(Writes.AccountWrite), typeof(IResult)];

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var path = "/" + context.Description.RelativePath;
        var keyed = !metadata.OfType<IAllowAnonymous>().Any() && metadata.OfType<IAuthorizeData>().Any();
        var admin = metadata.OfType<IAuthorizeData>().Any(a => a.Policy == Auth.Scopes.Admin);
        var write = context.Description.HttpMethod is "POST" or "DELETE";
        var account = path.Contains("{accountId}", StringComparison.Ordinal);
        operation.Responses ??= new OpenApiResponses();

        foreach (var declared in context.Description.SupportedResponseTypes)
            if (declared.Type is { } type && Internal.Any(t => t.IsAssignableFrom(type)))
                operation.Responses.Remove(declared.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (operation.Responses.TryGetValue("404", out var notFound) && notFound is OpenApiResponse { Content: null or { Count: 0 } })
            operation.Responses.Remove("404");

        var types = new List<ProblemType>();
        if (keyed)
        {
            types.AddRange([ProblemTypes.ApiKeyMissing, ProblemTypes.ApiKeyInvalid, ProblemTypes.Forbidden]);
            if (admin && !account) types.Add(ProblemTypes.KeyBoundToAccount);
        }
        if (account)
        {
            types.Add(ProblemType.Of(Domain.Accounts.RejectionCodes.AccountNotFound));
            if (keyed) types.Add(ProblemTypes.RateLimited);
        }
        if (operation.RequestBody is not null) types.Add(ProblemTypes.MalformedRequest);
        if (context.Description.ParameterDescriptions.Count > 0 || operation.RequestBody is not null) types.Add(ProblemTypes.Validation);
        if (keyed && write) types.AddRange([ProblemTypes.RequestInProgress, ProblemTypes.IdempotencyKeyReused]);
        if (operation.OperationId is { } id && OpenApiExamples.ByOperation.TryGetValue(id, out var example))
            foreach (var code in example.Problems ?? [])
                types.Add(ProblemTypes.All.FirstOrDefault(t => t.Code == code)
                    ?? throw new InvalidOperationException($"{id}: OpenApiExamples.json names problem '{code}', which the catalog does not have"));
        foreach (var group in types.Distinct().GroupBy(t => t.Status)) Set(operation, group.Key, [.. group]);

        // any other problem status an endpoint declares gets its catalog's example for that status
        foreach (var (status, response) in operation.Responses)
            if (status[0] is '4' or '5' && response is OpenApiResponse { Content: { } content } && content.TryGetValue(Problems.ContentType, out var media)
                && media.Example is null && media.Examples is not { Count: > 0 })
            {
                var sample = ProblemTypes.All.Where(t => t.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == status).ToArray();
                if (sample.Length > 0) Set(operation, sample[0].Status, sample);
            }
        return Task.CompletedTask;
    }

    private static void Set(OpenApiOperation operation, int status, ProblemType[] types)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var media = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails") };
        if (types.Length == 1) media.Example = Example(types[0]);
        else media.Examples = types.ToDictionary(t => t.Code, t => (IOpenApiExample)new OpenApiExample { Summary = t.Title, Value = Example(t) });
        operation.Responses![key] = new OpenApiResponse
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
        // the return types of endpoint methods, whose responses the operation transformer dropped (no client sees them)
        foreach (var name in new[] { nameof(IResult), nameof(Writes.AccountWrite), nameof(Domain.Accounts.IAccountCommand) })
            document.Components.Schemas.Remove(name);
        // a JsonElement is any JSON value, null included: "null or any value" as oneOf would match null twice and fail
        if (document.Components.Schemas.ContainsKey("JsonElement"))
        {
            document.Components.Schemas["JsonElement"] = new OpenApiSchema { Description = "Any JSON value, as it was received or stored." };
            foreach (var component in document.Components.Schemas.Values.OfType<OpenApiSchema>())
                foreach (var (name, property) in (component.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
                    if (property is OpenApiSchema { OneOf: { Count: 2 } oneOf } && oneOf.Any(o => o is OpenApiSchema { Type: JsonSchemaType.Null })
                        && oneOf.OfType<OpenApiSchemaReference>().FirstOrDefault(r => r.Reference.Id == "JsonElement") is { } any)
                        component.Properties![name] = any;
        }
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

/// <summary>
/// Query parameters as clients send them: endpoints read them as text to answer a wrong one with a 400 naming it, so
/// ASP.NET Core types them all <c>string</c>; here numbers become integers with their bounds and instants date-times,
/// so a generated client takes <c>limit: number</c>.
/// </summary>
public sealed class OpenApiQueryParameters : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var path = "/" + context.Description.RelativePath;
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query))
            parameter.Schema = parameter.Name switch
            {
                "limit" => new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1",
                    Maximum = path.EndsWith("/events", StringComparison.Ordinal) ? "1000" : ListQuery.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                "offset" => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0" },
                "after" => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" },
                "version" => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" },
                "asOf" or "from" or "to" => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                "format" => new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("json"), JsonValue.Create("csv")] },
                _ => parameter.Schema,
            };

        return Task.CompletedTask;
    }
}
