using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ledger.Api.Http;

/// <summary>
/// One step of the example tour (<c>Http/OpenApiExamples.json</c>): a request to an operation, the status it answers and
/// the answer, and the problem types the operation can answer beyond those every operation of its kind can (401, 403, ...).
/// The first step of an operation is its documented example; later steps of the same operation only set up the tour.
/// <c>Eventually</c>: the answer reads something written after the request that caused it (operator webhook deliveries
/// are recorded by a queued message), so the tour asks again for a while until it matches.
/// </summary>
public sealed record OperationExample(
    string OperationId,
    string Path,
    JsonNode? Request,
    int Status,
    JsonNode? Response,
    IReadOnlyList<string>? Problems,
    bool Tour = true,
    bool Eventually = false)
{
    /// <summary>The HTTP method, from the operation id (<c>POST_v1_accounts</c>).</summary>
    [JsonIgnore]
    public string Method => OperationId[..OperationId.IndexOf('_')];
}

/// <summary>
/// Examples for every operation, in one file read at start: a tour of the API on one account (<c>acme</c>), whose
/// responses were captured from the service itself (OpenApiExampleTests sends every request again, in this order, to
/// a fresh service and fails when a status or a response's shape differs, or an example does not match its schema);
/// the few steps that need Stripe or an operator endpoint are written by hand and checked against their schemas.
/// </summary>
public sealed class OpenApiExamples : IOpenApiOperationTransformer
{
    public const string ResourceName = "Ledger.Api.Http.OpenApiExamples.json";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Every step, in tour order.</summary>
    public static IReadOnlyList<OperationExample> Tour { get; } = Load();

    /// <summary>The documented example of each operation: its first step.</summary>
    public static IReadOnlyDictionary<string, OperationExample> ByOperation { get; } =
        Tour.GroupBy(e => e.OperationId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private static List<OperationExample> Load()
    {
        using var stream = typeof(OpenApiExamples).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded");
        return JsonSerializer.Deserialize<List<OperationExample>>(stream, Options) ?? [];
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.OperationId is not { } id || !ByOperation.TryGetValue(id, out var example)) return Task.CompletedTask;
        if (example.Request is { } request && operation.RequestBody?.Content is { } body)
            foreach (var (type, media) in body)
                if (type.Contains("json", StringComparison.Ordinal)) media.Example = request.DeepClone();
        var status = example.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (example.Response is { } response && operation.Responses?.TryGetValue(status, out var answer) == true
            && answer is OpenApiResponse { Content: { } content } && content.TryGetValue("application/json", out var json))
            json.Example = response.DeepClone();
        return Task.CompletedTask;
    }
}
