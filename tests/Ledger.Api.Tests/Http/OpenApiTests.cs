using System.Net;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

public sealed class OpenApiApp(PostgresServer server) : SharedApp(server, "openapi");

/// <summary>DESIGN "HTTP API v1": /openapi/v1.json, /docs (API reference UI), /health/live and /health/ready.</summary>
public sealed class OpenApiTests(OpenApiApp fixture) : IClassFixture<OpenApiApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    /// <summary>Every endpoint of DESIGN's table that src serves today.</summary>
    public static TheoryData<string, string> Operations() => new()
    {
        { "post", "/v1/accounts" },
        { "get", "/v1/accounts/{accountId}" },
        { "get", "/v1/accounts/{accountId}/balance" },
        { "get", "/v1/accounts/{accountId}/events" },
        { "get", "/v1/accounts/{accountId}/statement" },
        { "get", "/v1/accounts/{accountId}/usage" },
        { "post", "/v1/accounts/{accountId}/grants" },
        { "post", "/v1/accounts/{accountId}/grants/{grantId}/void" },
        { "post", "/v1/accounts/{accountId}/reservations" },
        { "get", "/v1/accounts/{accountId}/reservations/{reservationId}" },
        { "post", "/v1/accounts/{accountId}/reservations/{reservationId}/commit" },
        { "post", "/v1/accounts/{accountId}/reservations/{reservationId}/release" },
        { "post", "/v1/accounts/{accountId}/reservations/{reservationId}/extend" },
        { "post", "/v1/accounts/{accountId}/usage" },
        { "post", "/v1/accounts/{accountId}/refunds" },
        { "get", "/v1/plans" },
        { "post", "/v1/admin/api-keys" },
        { "get", "/v1/admin/api-keys" },
        { "delete", "/v1/admin/api-keys/{keyId}" },
    };

    private async Task<JsonElement> Document()
    {
        var response = await App.ClientWith(null).Get("/openapi/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
        return await response.Json();
    }

    private static JsonElement Resolve(JsonElement document, JsonElement node)
    {
        while (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("$ref", out var reference))
        {
            var target = document;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/')) target = target.GetProperty(part);
            node = target;
        }
        return node;
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task The_document_describes_each_endpoint(string method, string path)
    {
        var document = await Document();
        document.GetProperty("paths").TryGetProperty(path, out var item).ShouldBeTrue($"{path} is missing");
        item.TryGetProperty(method, out var operation).ShouldBeTrue($"{method} {path} is missing");

        operation.GetProperty("responses").EnumerateObject().ShouldContain(r => r.Name.StartsWith('2'), $"{method} {path}: no success response");
        operation.TryGetProperty("summary", out var summary).ShouldBeTrue($"{method} {path}: no summary");
        summary.GetString().ShouldNotBeNullOrWhiteSpace();

        foreach (var parameter in path.Split('/').Where(p => p.StartsWith('{')).Select(p => p.Trim('{', '}')))
        {
            var parameters = item.TryGetProperty("parameters", out var shared) ? shared.EnumerateArray().ToList() : [];
            if (operation.TryGetProperty("parameters", out var own)) parameters.AddRange(own.EnumerateArray());
            parameters.Select(p => Resolve(document, p)).ShouldContain(p => p.GetProperty("name").GetString() == parameter && p.GetProperty("in").GetString() == "path",
                $"{method} {path}: path parameter {parameter} is not declared");
        }

        if (method == "post")
        {
            operation.TryGetProperty("requestBody", out var body).ShouldBeTrue($"{method} {path}: no request body");
            var schema = Resolve(document, Resolve(document, body).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            schema.TryGetProperty("properties", out var properties).ShouldBeTrue($"{method} {path}: the body schema has no properties");
            properties.EnumerateObject().ShouldNotBeEmpty();

            var problems = operation.GetProperty("responses").EnumerateObject()
                .Where(r => r.Name.StartsWith('4'))
                .Select(r => Resolve(document, r.Value))
                .Where(r => r.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out _))
                .ToList();
            problems.ShouldNotBeEmpty($"{method} {path}: no application/problem+json error response");
        }
    }

    [Fact]
    public async Task Bodies_are_described_with_their_fields()
    {
        var document = await Document();
        JsonElement BodyProperties(string path)
        {
            var body = document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody");
            return Resolve(document, Resolve(document, body).GetProperty("content").GetProperty("application/json").GetProperty("schema"))
                .GetProperty("properties");
        }

        BodyProperties("/v1/accounts/{accountId}/reservations").EnumerateObject().Select(p => p.Name)
            .ShouldBeSubsetOf(["reservationId", "amount", "ttlSeconds", "feature", "metadata"]);
        BodyProperties("/v1/accounts/{accountId}/reservations").TryGetProperty("amount", out _).ShouldBeTrue();
        BodyProperties("/v1/accounts/{accountId}/grants").TryGetProperty("source", out _).ShouldBeTrue();
        BodyProperties("/v1/accounts").TryGetProperty("accountId", out _).ShouldBeTrue();
        BodyProperties("/v1/admin/api-keys").TryGetProperty("scopes", out _).ShouldBeTrue();
        BodyProperties("/v1/admin/api-keys").TryGetProperty("secret", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Request_fields_are_required_only_when_the_API_requires_them_and_numbers_are_integers()
    {
        var document = await Document();
        JsonElement Body(string path)
        {
            var body = document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody");
            return Resolve(document, Resolve(document, body).GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        }
        string[] Required(JsonElement schema) =>
            schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).Order().ToArray() : [];

        Required(Body("/v1/accounts/{accountId}/usage")).ShouldBe(["amount"]);
        Required(Body("/v1/accounts/{accountId}/reservations")).ShouldBe(["amount"]);
        Required(Body("/v1/accounts")).ShouldBe(["accountId", "plan"]);
        Required(Body("/v1/accounts/{accountId}/grants")).ShouldBe(["amount", "reason", "source"]);
        Required(Body("/v1/accounts/{accountId}/reservations/{reservationId}/commit")).ShouldBeEmpty();
        var amount = Body("/v1/accounts/{accountId}/usage").GetProperty("properties").GetProperty("amount");
        amount.GetProperty("type").GetRawText().ShouldBe("\"integer\"");
        document.GetRawText().ShouldNotContain("\"string\",\"integer\"");

        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");
        problem.GetProperty("properties").TryGetProperty("errors", out _).ShouldBeTrue();
        problem.TryGetProperty("additionalProperties", out var extra).ShouldBeTrue();
        extra.ValueKind.ShouldNotBe(JsonValueKind.False);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Each_keyed_operation_documents_its_problems_with_examples(string method, string path)
    {
        var operation = (await Document()).GetProperty("paths").GetProperty(path).GetProperty(method);
        var responses = operation.GetProperty("responses");
        var expected = new List<string> { "401", "403" };
        if (path.Contains("{accountId}", StringComparison.Ordinal)) expected.AddRange(["404", "429"]);
        if (method is "post" or "delete") expected.AddRange(["409", "422"]);
        foreach (var status in expected)
        {
            responses.TryGetProperty(status, out var response).ShouldBeTrue($"{method} {path}: no {status}");
            var media = response.GetProperty("content").GetProperty("application/problem+json");
            (media.TryGetProperty("example", out _) || media.TryGetProperty("examples", out _)).ShouldBeTrue($"{method} {path} {status}: no example");
        }
    }

    [Fact]
    public async Task The_bearer_API_key_scheme_is_declared_and_required()
    {
        var document = await Document();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        var bearer = schemes.EnumerateObject().Select(s => (s.Name, Value: s.Value))
            .Where(s => s.Value.GetProperty("type").GetString() == "http" && s.Value.GetProperty("scheme").GetString()!.Equals("bearer", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var (name, _) = bearer.ShouldHaveSingleItem();

        var required = document.TryGetProperty("security", out var global)
            ? global.EnumerateArray().Any(r => r.TryGetProperty(name, out _))
            : false;
        required.ShouldBeTrue($"the document does not require {name}: {(document.TryGetProperty("security", out var s) ? s.GetRawText() : "no security")}");
    }

    [Fact]
    public async Task The_document_passes_redocly_lint_with_its_recommended_rules()
    {
        var folder = await NpmTools.InstalledAsync(Path.Combine("tests", "Ledger.Api.Tests", "Http", "node"), Path.Combine("@redocly", "cli"));
        var file = Path.Combine(Path.GetTempPath(), $"ledger-openapi-{Guid.NewGuid():N}.json");
        // asked for under a real host name, as a client would (the server URL follows the request's host)
        var client = App.ClientWith(null);
        client.BaseAddress = new Uri("http://ledger.test");
        await File.WriteAllTextAsync(file, await (await client.Get("/openapi/v1.json")).Content.ReadAsStringAsync(Ct), Ct);
        try
        {
            var (exitCode, output, error) = await NpmTools.RunAsync(folder, Path.Combine(folder, "node_modules", ".bin", "redocly"),
                $"lint --config redocly.yaml --format stylish \"{file}\"", TimeSpan.FromMinutes(2), throwOnFailure: false);
            var problems = output.Split('\n').Where(l => l.Contains(" error ", StringComparison.Ordinal) || l.Contains(" warning ", StringComparison.Ordinal));
            problems.ShouldBeEmpty($"redocly lint:\n{output}\n{error}");
            exitCode.ShouldBe(0, $"redocly lint:\n{output}\n{error}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_stripe_webhook_needs_no_API_key_and_documents_its_signed_body()
    {
        var webhook = (await Document()).GetProperty("paths").GetProperty("/v1/webhooks/stripe").GetProperty("post");
        webhook.GetProperty("security").GetArrayLength().ShouldBe(0); // overrides the document's bearer requirement
        var signature = webhook.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Stripe-Signature");
        (signature.GetProperty("in").GetString(), signature.GetProperty("required").GetBoolean()).ShouldBe(("header", true));
        webhook.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _).ShouldBeTrue();

        var balance = (await Document()).GetProperty("paths").GetProperty("/v1/accounts/{accountId}/balance").GetProperty("get");
        balance.TryGetProperty("security", out _).ShouldBeFalse(); // keyed endpoints keep the document's requirement
    }

    [Fact]
    public async Task The_document_leaves_out_the_problem_type_pages_and_is_titled()
    {
        var document = await Document();
        document.GetProperty("openapi").GetString()!.ShouldStartWith("3.");
        document.GetProperty("info").GetProperty("title").GetString().ShouldBe("Ledger API");
        document.GetProperty("paths").TryGetProperty("/problems/{code}", out _).ShouldBeFalse();
        document.GetRawText().ShouldNotContain(LedgerApp.AdminKey);
    }

    [Fact]
    public async Task The_API_reference_UI_answers_with_HTML()
    {
        using var client = App.CreateClient(); // follows redirects
        var response = await client.GetAsync("/docs", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync(Ct);
        html.ShouldContain("<html", Case.Insensitive);
        html.ShouldContain("openapi/v1.json");
    }

    [Fact]
    public async Task Liveness_and_readiness_answer_200_without_a_key()
    {
        var anonymous = App.ClientWith(null);
        var live = await anonymous.Get("/health/live");
        live.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await live.Content.ReadAsStringAsync(Ct)).ShouldBe("Healthy");
        var ready = await anonymous.Get("/health/ready");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ready.Json()).GetProperty("status").GetString().ShouldBe("Healthy"); // with each check and why (ADR 52)
    }
}
