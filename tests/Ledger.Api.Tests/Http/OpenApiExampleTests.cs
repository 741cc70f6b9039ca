using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Ledger.Api.Http;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

public sealed class OpenApiExampleApp(PostgresServer server) : SharedApp(server, "examples");

/// <summary>
/// Issue 14: an OpenAPI document a generator can trust. Every operation has a description that explains and examples
/// (a request when it takes a body, its success answer), every example matches its schema, and the tour the examples
/// come from (<c>src/Ledger.Api/Http/OpenApiExamples.json</c>) still answers as they show when sent, in order, to a fresh
/// service. <c>LEDGER_UPDATE_OPENAPI_EXAMPLES=1</c> rewrites the file's toured responses from such a run (review the diff).
/// </summary>
public sealed partial class OpenApiExampleTests(OpenApiExampleApp fixture) : IClassFixture<OpenApiExampleApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    private async Task<JsonNode> Document() =>
        JsonNode.Parse(await (await fixture.App.ClientWith(null).Get("/openapi/v1.json")).Content.ReadAsStringAsync(Ct))!;

    private static IEnumerable<(string Method, string Path, JsonObject Operation)> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        where Methods.Contains(operation.Key)
        select (operation.Key, path.Key, operation.Value!.AsObject());

    [Fact]
    public async Task Every_operation_has_a_request_and_a_success_example_and_a_description_that_explains()
    {
        var document = await Document();
        var missing = new List<string>();
        foreach (var (method, path, operation) in Operations(document))
        {
            var name = $"{method.ToUpperInvariant()} {path} ({operation["operationId"]})";
            var description = (string?)operation["description"];
            if (string.IsNullOrWhiteSpace(description) || description == (string?)operation["operationId"] || description == (string?)operation["summary"]
                || description.Length < 40)
                missing.Add($"{name}: description '{description}' does not explain");
            if (operation["requestBody"]?["content"] is JsonObject body && body.Any(c => c.Key.Contains("json") && c.Value?["example"] is null))
                missing.Add($"{name}: no request example");
            var successes = operation["responses"]!.AsObject().Where(r => r.Key.StartsWith('2')).ToList();
            if (!successes.Any(r => r.Value?["content"] is JsonObject content && content.Any(c => c.Value?["example"] is not null)))
                missing.Add($"{name}: no success response example");
        }
        missing.ShouldBeEmpty();
    }

    [Fact]
    public async Task Tags_follow_a_ledger_s_use_and_each_is_described()
    {
        var document = await Document();
        var tags = document["tags"]!.AsArray().Select(t => (Name: (string)t!["name"]!, Description: (string?)t["description"])).ToList();
        tags.Select(t => t.Name).ShouldBe(
            ["Accounts", "Balances", "Reservations", "Usage", "Refunds", "Grants", "Quotas", "Entitlements", "Alerts", "Plans", "Audit", "Projections", "Stripe", "Operator webhooks", "Metrics", "API keys"]);
        tags.ShouldAllBe(t => !string.IsNullOrWhiteSpace(t.Description));
        Operations(document).SelectMany(o => o.Operation["tags"]!.AsArray().Select(t => (string)t!)).Distinct().ShouldBeSubsetOf(tags.Select(t => t.Name));
    }

    [Fact]
    public async Task Nothing_internal_is_documented_and_request_fields_are_nullable_only_where_null_means_something()
    {
        var document = await Document();
        var schemas = document["components"]!["schemas"]!.AsObject();
        schemas.Select(s => s.Key).ShouldNotContain("AccountWrite");
        schemas.Select(s => s.Key).ShouldNotContain("IResult");
        foreach (var (method, path, operation) in Operations(document))
            foreach (var (status, response) in operation["responses"]!.AsObject())
                (response?["content"] is JsonObject { Count: > 0 } || status == "204").ShouldBeTrue($"{method} {path}: {status} has no content");

        var nullable = (from schema in schemas
                        where schema.Key.EndsWith("Request", StringComparison.Ordinal)
                        from property in schema.Value!["properties"]?.AsObject() ?? []
                        where property.Value!.ToJsonString().Contains("\"null\"", StringComparison.Ordinal)
                        select $"{schema.Key}.{property.Key}").ToList();
        nullable.ShouldBe(["AlertThresholdRequest.lowBalance"]); // null: back to the plan's threshold

        var limit = document["paths"]!["/v1/accounts"]!["get"]!["parameters"]!.AsArray().Single(p => (string)p!["name"]! == "limit")!;
        ((string)limit["schema"]!["type"]!, (int)limit["schema"]!["maximum"]!).ShouldBe(("integer", 100));
        var statement = document["paths"]!["/v1/accounts/{accountId}/statement"]!["get"]!["responses"]!["200"]!["content"]!.AsObject();
        statement.Select(c => c.Key).ShouldBe(["application/json", "text/csv"], ignoreOrder: true);
    }

    [Fact]
    public async Task Every_list_paged_by_starting_after_answers_data_and_has_more_as_Stripe_does()
    {
        var document = await Document();
        var lists = Operations(document)
            .Where(o => o.Operation["parameters"]?.AsArray().Any(p => (string?)p!["name"] == "starting_after") == true)
            .ToList();
        lists.Select(o => o.Path).ShouldBe(
            ["/v1/accounts", "/v1/accounts/{accountId}/grants", "/v1/accounts/{accountId}/refunds", "/v1/accounts/{accountId}/reservations",
             "/v1/accounts/{accountId}/usage-records", "/v1/admin/webhook-deliveries"], ignoreOrder: true);
        foreach (var (_, path, operation) in lists)
        {
            var reference = (string)operation["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!;
            var schema = document["components"]!["schemas"]![reference.Split('/')[^1]]!;
            schema["required"]!.AsArray().Select(r => (string)r!).ShouldBe(["data", "has_more"], ignoreOrder: true, customMessage: path);
            ((string)schema["properties"]!["has_more"]!["type"]!).ShouldBe("boolean", path);
            operation["parameters"]!.AsArray().Select(p => (string)p!["name"]!).ShouldContain("limit", path);
        }
    }

    [Fact]
    public async Task Operations_document_their_own_problems_beside_the_common_ones()
    {
        var document = await Document();
        string[] Codes(string path, string method, string status)
        {
            var media = document["paths"]![path]![method]!["responses"]![status]!["content"]!["application/problem+json"]!;
            return media["examples"] is JsonObject examples ? [.. examples.Select(e => e.Key)] : [((string)media["example"]!["type"]!)["/problems/".Length..]];
        }
        Codes("/v1/accounts/{accountId}/reservations", "post", "402").ShouldBe(["insufficient-credits"]);
        Codes("/v1/accounts/{accountId}/reservations", "post", "403").ShouldBe(["forbidden", "feature-disabled", "account-suspended", "account-frozen"], ignoreOrder: true);
        Codes("/v1/accounts/{accountId}/reservations", "post", "409").ShouldBe(["request-in-progress", "id-conflict"], ignoreOrder: true);
        Codes("/v1/accounts/{accountId}/reservations", "post", "422").ShouldBe(["idempotency-key-reused", "amount-over-limit"], ignoreOrder: true);
        Codes("/v1/accounts/{accountId}/reservations/{reservationId}/commit", "post", "409")
            .ShouldBe(["request-in-progress", "reservation-committed", "reservation-released", "reservation-expired"], ignoreOrder: true);
        Codes("/v1/accounts", "post", "409").ShouldBe(["request-in-progress", "account-exists"], ignoreOrder: true);
        Codes("/v1/admin/api-keys", "get", "403").ShouldBe(["forbidden", "key-bound-to-account"], ignoreOrder: true);
        Codes("/v1/accounts/{accountId}/balance", "get", "400").ShouldBe(["validation", "version-beyond-stream", "before-account-opened"], ignoreOrder: true);
    }

    [Fact]
    public async Task Every_example_matches_its_schema()
    {
        var document = await Document();
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var (method, path, operation) in Operations(document))
        {
            void Check(string where, JsonNode? schema, JsonNode? example)
            {
                if (schema is null || example is null) return;
                checkedCount++;
                failures.AddRange(Validate(document, schema, example).Select(e => $"{method.ToUpperInvariant()} {path} {where}: {e}"));
            }
            foreach (var (type, media) in operation["requestBody"]?["content"]?.AsObject() ?? [])
                Check($"request {type}", media?["schema"], media?["example"]);
            foreach (var (status, response) in operation["responses"]!.AsObject())
                foreach (var (type, media) in response?["content"]?.AsObject() ?? [])
                {
                    if (type == "text/csv") continue;
                    Check($"{status} {type}", media?["schema"], media?["example"]);
                    foreach (var (name, named) in media?["examples"]?.AsObject() ?? [])
                        Check($"{status} {type} {name}", media?["schema"], named?["value"]);
                }
        }
        failures.ShouldBeEmpty();
        checkedCount.ShouldBeGreaterThan(150);
    }

    [Fact]
    public async Task A_mismatching_example_is_caught()
    {
        // the validator itself: a usage response without its balance, and an amount as a string, are refused
        var document = await Document();
        var usage = document["paths"]!["/v1/accounts/{accountId}/usage"]!["post"]!;
        var example = usage["responses"]!["201"]!["content"]!["application/json"]!["example"]!.DeepClone().AsObject();
        example.Remove("balance");
        Validate(document, usage["responses"]!["201"]!["content"]!["application/json"]!["schema"]!, example).ShouldNotBeEmpty();
        Validate(document, usage["requestBody"]!["content"]!["application/json"]!["schema"]!, JsonNode.Parse("""{"amount":"5"}""")).ShouldNotBeEmpty();
        Validate(document, usage["requestBody"]!["content"]!["application/json"]!["schema"]!, JsonNode.Parse("""{"amount":5}""")).ShouldBeEmpty();
    }

    /// <summary>
    /// The tour: each step's request sent to this class's own service (a fresh database), in the file's order, with the
    /// admin key. The status must be the documented one, the answer must match the operation's schema, and the
    /// documented example must have the same shape and the same numbers (ids and instants aside).
    /// </summary>
    [Fact]
    public async Task The_tour_answers_what_the_examples_show()
    {
        var document = await Document();
        var update = Environment.GetEnvironmentVariable("LEDGER_UPDATE_OPENAPI_EXAMPLES") == "1";
        var client = fixture.App.Admin();
        var captured = new Dictionary<int, JsonNode?>();
        var bindings = new Dictionary<string, string>(StringComparer.Ordinal);
        var failures = new List<string>();
        var documented = OpenApiExamples.ByOperation.Values.ToHashSet();
        var steps = OpenApiExamples.Tour.Select((step, index) => (step, index)).Where(s => s.step.Tour).ToList();
        steps.Count.ShouldBeGreaterThan(30);
        // the examples were captured with instants PostgreSQL truncates (an event's `at` differs from its `timestamp`)
        fixture.App.ClockOffTheMicrosecond();

        foreach (var (step, index) in steps)
        {
            fixture.App.Clock.Advance(TimeSpan.FromSeconds(1)); // each step at its own instant, as in life
            var path = BindingPattern().Replace(step.Path, m => bindings.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
            async Task<(HttpResponseMessage, string)> Send()
            {
                var request = new HttpRequestMessage(new HttpMethod(step.Method), path);
                if (step.Request is not null)
                    request.Content = new StringContent(step.Request.ToJsonString(), Encoding.UTF8, "application/json");
                var answer = await client.SendAsync(request, Ct);
                return (answer, await answer.Content.ReadAsStringAsync(Ct));
            }
            if (step.Eventually && update) await Task.Delay(TimeSpan.FromSeconds(3), Ct);
            var (response, text) = await Send();
            var name = $"step {index} {step.Method} {path}";
            if (step.Eventually && !update && Normalized(step.Response) != Normalized(JsonNode.Parse(text)))
                (response, text) = await Eventually.Until(async () =>
                    await Send() is var (r, t) && Normalized(step.Response) == Normalized(JsonNode.Parse(t)) ? Tuple.Create(r, t) : null,
                    TimeSpan.FromSeconds(15), () => $"{name}: the answer never became what the example shows");
            if ((int)response.StatusCode != step.Status)
            {
                failures.Add($"{name}: {(int)response.StatusCode} (documented {step.Status}): {text}");
                continue;
            }
            var actual = JsonNode.Parse(text);
            // {name} in a later path is the value of name in this answer (or in the first item of its list)
            foreach (var source in new[] { actual, (actual?["data"] as JsonArray)?.FirstOrDefault() })
                foreach (var (key, value) in source as JsonObject ?? [])
                    if (value is JsonValue v && v.TryGetValue<string>(out var s)) bindings[key] = s;
            captured[index] = actual;

            var operation = Operations(document).Single(o => (string?)o.Operation["operationId"] == step.OperationId).Operation;
            var schema = operation["responses"]![step.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)]?["content"]?["application/json"]?["schema"];
            if (schema is null) failures.Add($"{name}: {step.Status} is not documented with a JSON body");
            else failures.AddRange(Validate(document, schema, actual).Select(e => $"{name}: the answer does not match its schema: {e}"));

            if (documented.Contains(step) && !update)
            {
                if (step.Response is null) failures.Add($"{name}: no response example (run with LEDGER_UPDATE_OPENAPI_EXAMPLES=1)");
                else if (Normalized(step.Response) != Normalized(actual))
                    failures.Add($"{name}: the answer differs from the example\nexample: {Normalized(step.Response)}\nanswer:  {Normalized(actual)}");
            }
        }

        if (update)
        {
            var file = Path.Combine(PostgresServer.FindRepositoryRoot(), "src", "Ledger.Api", "Http", "OpenApiExamples.json");
            var steps2 = JsonNode.Parse(await File.ReadAllTextAsync(file, Ct))!.AsArray();
            foreach (var (index, actual) in captured)
                if (documented.Contains(OpenApiExamples.Tour[index])) steps2[index]!["response"] = actual?.DeepClone();
            await File.WriteAllTextAsync(file, steps2.ToJsonString(Indented) + "\n", Ct);
        }
        failures.ShouldBeEmpty();
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex BindingPattern();

    [GeneratedRegex(@"lk_live_[A-Za-z0-9_\-]+")]
    private static partial Regex SecretPattern();

    /// <summary>Instants, UUIDs and key secrets become placeholders numbered by first appearance (Approvals), the rest stays.</summary>
    private static string Normalized(JsonNode? node) =>
        Approvals.Scrub(BasicInstantPattern().Replace(SecretPattern().Replace(node?.ToJsonString() ?? "null", "lk_live_SECRET"), "INSTANT"))
            .ReplaceLineEndings("").Replace(" ", "");

    [GeneratedRegex(@"\d{8}T\d{6,}")]
    private static partial Regex BasicInstantPattern(); // in delivery ids: whd_20261202T1931195181803_acme_v19

    /// <summary>JSON Schema 2020-12 validation of <paramref name="instance"/> against an OpenAPI 3.1 schema of <paramref name="document"/>.</summary>
    private static List<string> Validate(JsonNode document, JsonNode schema, JsonNode? instance)
    {
        var defs = document["components"]!["schemas"]!.DeepClone();
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = defs,
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var text = root.ToJsonString().Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal);
        var built = JsonSchema.Build(JsonDocument.Parse(text).RootElement, new BuildOptions { SchemaRegistry = new SchemaRegistry() },
            new Uri($"https://ledger.test/schemas/{Guid.NewGuid():N}"));
        var value = JsonDocument.Parse(instance?.ToJsonString() ?? "null").RootElement;
        var result = built.Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return [];
        return [.. (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .Select(d => $"{d.InstanceLocation} ({d.SchemaLocation}): {string.Join("; ", d.Errors!.Values)}")
            .DefaultIfEmpty("invalid")];
    }
}
