using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// Hostile requests generated from the service's own OpenAPI document: for each operation, its path parameters, query
/// parameters and request body schema (resolved through <c>$ref</c>) give the places to aim at, so a new operation or
/// field is fuzzed without a new test. Deterministic for a seed; <see cref="Size"/> bounds how many values each place
/// gets (CI: a sample; the long run: all of them, plus more random combinations).
/// </summary>
public sealed class OpenApiFuzz(int seed, int size)
{
    public sealed record Operation(string Method, string Path, IReadOnlyList<string> PathParameters, IReadOnlyList<string> Query, JsonObject? Schema);

    /// <summary>One request: the (already URL-encoded) target, the body bytes (null: none) and its content type, extra headers.</summary>
    public sealed record Case(string Name, string Method, string Url, byte[]? Body, string? ContentType = "application/json",
        IReadOnlyList<(string Name, string Value)>? Headers = null);

    private readonly Random _random = new(seed);
    public int Seed { get; } = seed;
    public int Size { get; } = size;

    /// <summary>JSON literals of every kind a field may be given instead of what it expects.</summary>
    public static readonly string[] HostileJsonValues =
    [
        "0", "-1", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "99999999999999999999", "1.5", "1e308", "-0", "1E3",
        "null", "true", "[]", "{}", "\"1\"", "[1,2]", """{"a":{"b":{"c":1}}}""",
        "\"\"", "\"" + new string('x', 10_000) + "\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"id\\n\"", "\"\\r\\nX-Injected: yes\"", "\"\\t\"",
        "\"../../../etc/passwd\"", "\"..\\\\..\\\\windows\"", "\"%00\"", "\"%2e%2e%2f\"", "\"\\u202e\\u200b\\ufeff\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
        "\"\\ud83d\\ude00\"", "\"Z\\u0351\\u0359\\u0337\"", "\"\\u0085\\u2028\"", "\"' or 1=1 --\"", "\"<script>\"",
        "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59.9999999-14:00\"", "\"2026-02-30T00:00:00Z\"", "\"-infinity\"", "\"NaN\"",
    ];

    /// <summary>Path segments, URL-encoded as they go on the wire.</summary>
    public static readonly string[] HostilePathValues =
    [
        "a%0A", "%0A", "a%0D%0AX-Injected:%20yes", "%00", "a%00b", "%09", "%7F", new string('a', 65), new string('b', 3000),
        "..%2F..%2Fadmin", "..", "%2E%2E", "..%5C..%5C", "%2F", "%E2%80%AE", "%EF%BB%BF", "%F0%9F%98%80", "%ED%A0%80", "%FF", "%C0%AF",
        "a%20b", "%25", "%3Cscript%3E", "%27%20or%201%3D1", "%CC%81%CC%81%CC%81",
    ];

    public static readonly string[] HostileQueryValues =
    [
        "%00", "a%00b", "%0D%0AX-Injected:%20yes", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "0000-00-00", "2026-13-01T00:00:00Z",
        "-1", "0", "99999999999999999999", "NaN", "%FF", new string('q', 5000), "..%2F..%2F",
    ];

    public static List<Operation> Operations(JsonElement document)
    {
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var operations = new List<Operation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        foreach (var op in path.Value.EnumerateObject())
        {
            var parameters = op.Value.TryGetProperty("parameters", out var p) ? p.EnumerateArray().ToList() : [];
            string[] In(string where) => parameters.Where(x => x.GetProperty("in").GetString() == where).Select(x => x.GetProperty("name").GetString()!).ToArray();
            JsonObject? schema = null;
            if (op.Value.TryGetProperty("requestBody", out var body) && body.GetProperty("content").EnumerateObject().FirstOrDefault() is { Value: var content }
                && content.ValueKind == JsonValueKind.Object && content.TryGetProperty("schema", out var s))
                schema = Resolve(JsonNode.Parse(s.GetRawText())!.AsObject(), schemas);
            operations.Add(new Operation(op.Name.ToUpperInvariant(), path.Name, In("path"), In("query"), schema));
        }
        return operations;
    }

    private static JsonObject Resolve(JsonObject schema, JsonElement schemas, int depth = 0)
    {
        if (depth > 8) return new JsonObject();
        if (schema["$ref"]?.GetValue<string>() is { } reference)
            return Resolve(JsonNode.Parse(schemas.GetProperty(reference.Split('/')[^1]).GetRawText())!.AsObject(), schemas, depth + 1);
        if (schema["oneOf"] is JsonArray oneOf && oneOf.OfType<JsonObject>().FirstOrDefault(o => o["$ref"] is not null) is { } inner)
            return Resolve(inner.DeepClone().AsObject(), schemas, depth + 1);
        if (schema["properties"] is JsonObject properties)
            foreach (var name in properties.Select(p => p.Key).ToList())
                properties[name] = Resolve(properties[name]!.AsObject(), schemas, depth + 1);
        return schema;
    }

    /// <summary>A plausible value for a field, so that the other fields' hostile values reach past the first check.</summary>
    public static JsonNode? Plausible(string name, JsonObject schema)
    {
        var type = schema["type"] is JsonArray types ? types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null") : schema["type"]?.GetValue<string>();
        return type switch
        {
            "integer" => name.StartsWith("ttl", StringComparison.OrdinalIgnoreCase) ? 3600 : 1,
            "number" => 1,
            "boolean" => false,
            "array" => new JsonArray(name == "scopes" ? "ledger:read" : Plausible(name, schema["items"] as JsonObject ?? new JsonObject())),
            "object" when schema["properties"] is JsonObject => Baseline(schema),
            "object" => new JsonObject { ["k"] = "v" },
            _ when schema["format"]?.GetValue<string>() == "date-time" => DateTimeOffset.UtcNow.AddDays(30).ToString("O"),
            _ => name switch
            {
                "source" => "manual", "plan" => "free", "currency" => "usd", "pack" => "pack_500",
                "accountId" => "fz-new-" + Guid.NewGuid().ToString("N")[..8],
                "successUrl" or "cancelUrl" or "url" => "https://example.com/done",
                _ => "fuzz",
            },
        };
    }

    public static JsonObject Baseline(JsonObject schema)
    {
        var body = new JsonObject();
        var required = (schema["required"] as JsonArray)?.Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
            if (required.Contains(name)) body[name] = Plausible(name, property!.AsObject());
        return body;
    }

    private IEnumerable<T> Sample<T>(IReadOnlyList<T> values) =>
        Size >= values.Count ? values : values.OrderBy(_ => _random.Next()).Take(Size).ToList();

    public IEnumerable<Case> Cases(Operation op, Func<string, string> fill)
    {
        var url = FillPath(op.Path, fill, null, null);
        foreach (var parameter in op.PathParameters)
        foreach (var value in Sample(HostilePathValues))
            yield return new Case($"path {parameter}={Short(value)}", op.Method, FillPath(op.Path, fill, parameter, value), BodyFor(op), "application/json");
        foreach (var parameter in op.Query)
        foreach (var value in Sample(HostileQueryValues))
            yield return new Case($"query {parameter}={Short(value)}", op.Method, $"{url}?{parameter}={value}", BodyFor(op));
        if (op.Query.Count > 0)
            yield return new Case("every query parameter NUL", op.Method, $"{url}?{string.Join('&', op.Query.Select(q => $"{q}=%00"))}", BodyFor(op));

        if (op.Method is "GET" or "DELETE" || op.Schema is null)
        {
            if (op.Method == "POST") foreach (var c in BodyShapes(op, url, "{}")) yield return c;
            yield break;
        }
        var baseline = Baseline(op.Schema).ToJsonString();
        foreach (var c in BodyShapes(op, url, baseline)) yield return c;
        foreach (var c in IdempotencyKeys(op, url, baseline)) yield return c;

        var properties = (op.Schema["properties"] as JsonObject ?? []).Select(p => p.Key).ToList();
        foreach (var property in properties)
        foreach (var value in Sample(HostileJsonValues))
            yield return Json($"{property}={Short(value)}", op, url, With(op.Schema, (property, value)));
        foreach (var property in properties.Where(p => op.Schema["properties"]![p]!["additionalProperties"] is JsonObject))
        foreach (var value in Sample(HostileJsonValues))
            yield return Json($"{property} entry {Short(value)}", op, url, With(op.Schema, (property, $"{{\"{Guid.NewGuid():N}\":{value}}}")));

        // random combinations: several fields hostile at once, or the baseline's bytes cut or corrupted
        for (var n = 0; n < Size && properties.Count > 0; n++)
        {
            var picked = properties.OrderBy(_ => _random.Next()).Take(1 + _random.Next(properties.Count)).ToList();
            yield return Json($"random #{n}", op, url, With(op.Schema, picked.Select(p => (p, HostileJsonValues[_random.Next(HostileJsonValues.Length)])).ToArray()));
            var bytes = Encoding.UTF8.GetBytes(baseline);
            var corrupted = bytes[..(1 + _random.Next(bytes.Length))];
            if (corrupted.Length > 0) corrupted[_random.Next(corrupted.Length)] = (byte)_random.Next(256);
            yield return new Case($"corrupted #{n}", op.Method, url, corrupted);
        }
    }

    private static byte[]? BodyFor(Operation op) => op.Method == "POST" ? Encoding.UTF8.GetBytes(op.Schema is null ? "{}" : Baseline(op.Schema).ToJsonString()) : null;

    private static IEnumerable<Case> BodyShapes(Operation op, string url, string baseline)
    {
        string deep = string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000);
        var shapes = new (string Name, byte[]? Body, string? Type)[]
        {
            ("no body", null, null), ("empty body", [], "application/json"), ("truncated", Encoding.UTF8.GetBytes(baseline[..(baseline.Length / 2)]), "application/json"),
            ("open brace", "{"u8.ToArray(), "application/json"), ("array", "[]"u8.ToArray(), "application/json"), ("null", "null"u8.ToArray(), "application/json"),
            ("number", "1"u8.ToArray(), "application/json"), ("string", "\"x\""u8.ToArray(), "application/json"), ("xml", "<a/>"u8.ToArray(), "application/xml"),
            ("nested 5000 deep", Encoding.UTF8.GetBytes(deep), "application/json"), ("invalid UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], "application/json"),
            ("BOM", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(baseline)], "application/json"),
            ("duplicate keys", Encoding.UTF8.GetBytes(baseline.TrimEnd('}') + (baseline.Length > 2 ? "," : "") + baseline.TrimStart('{')), "application/json"),
            ("unknown field", Encoding.UTF8.GetBytes("{\"zz_unknown\":1" + (baseline.Length > 2 ? "," : "") + baseline.TrimStart('{')), "application/json"),
            ("text/plain", Encoding.UTF8.GetBytes(baseline), "text/plain"), ("charset latin1", Encoding.UTF8.GetBytes(baseline), "application/json; charset=iso-8859-1"),
            ("comments", Encoding.UTF8.GetBytes("/* x */" + baseline), "application/json"), ("trailing garbage", Encoding.UTF8.GetBytes(baseline + "}}"), "application/json"),
            ("over 1 MiB", Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 1024 * 1024 + 10) + "\"}"), "application/json"),
        };
        foreach (var (name, body, type) in shapes) yield return new Case($"body {name}", op.Method, url, body, type);
    }

    private static IEnumerable<Case> IdempotencyKeys(Operation op, string url, string baseline)
    {
        // non-ASCII bytes in a header: the raw-socket test (HttpClient refuses to send them)
        foreach (var (name, key) in new[] { ("256 chars", new string('k', 256)), ("tab", "a\tb"), ("empty", ""), ("spaces", "   "), ("DEL", "a\u007Fb") })
            yield return new Case($"Idempotency-Key {name}", op.Method, url, Encoding.UTF8.GetBytes(baseline), "application/json", [("Idempotency-Key", key)]);
    }

    private static Case Json(string name, Operation op, string url, string body) => new(name, op.Method, url, Encoding.UTF8.GetBytes(body));

    /// <summary>The baseline body with some fields replaced by raw JSON literals (spliced as text: lone surrogates and NULs stay as sent).</summary>
    private static string With(JsonObject schema, params (string Property, string RawValue)[] replacements)
    {
        var body = Baseline(schema);
        foreach (var (property, _) in replacements) body.Remove(property);
        var text = body.ToJsonString();
        var spliced = string.Join(",", replacements.Select(r => $"{JsonSerializer.Serialize(r.Property)}:{r.RawValue}"));
        return text == "{}" ? "{" + spliced + "}" : "{" + spliced + "," + text[1..];
    }

    private static string FillPath(string path, Func<string, string> fill, string? parameter, string? value) =>
        System.Text.RegularExpressions.Regex.Replace(path, "{([^}]+)}", m => m.Groups[1].Value == parameter ? value! : fill(m.Groups[1].Value));

    private static string Short(string value) => value.Length > 24 ? value[..24] + $"…({value.Length})" : value;
}
