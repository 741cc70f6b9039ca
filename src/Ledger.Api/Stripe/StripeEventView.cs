using System.Text.Json;

namespace Ledger.Api.Stripe;

/// <summary>
/// A verified Stripe event read from its raw JSON. Fields are read by name, tolerating the shapes of older and
/// newer API versions (an invoice's subscription moved under <c>parent.subscription_details</c> in 2025), so an
/// event of any API version is understood the same way.
/// </summary>
public sealed class StripeEventView
{
    private StripeEventView(JsonElement root)
    {
        Root = root;
        Object = StripeJson.Element(root, "data", "object") ?? default;
    }

    public JsonElement Root { get; }
    public JsonElement Object { get; }

    public string Id => StripeJson.Str(Root, "id") ?? "";
    public string Type => StripeJson.Str(Root, "type") ?? "";
    public string? ApiVersion => StripeJson.Str(Root, "api_version");
    public bool Livemode => Root.TryGetProperty("livemode", out var l) && l.ValueKind == JsonValueKind.True;
    public long CreatedUnix => StripeJson.Long(Root, "created") ?? 0;
    public DateTimeOffset Created => DateTimeOffset.FromUnixTimeSeconds(CreatedUnix);
    public string? ObjectId => StripeJson.Str(Object, "id");

    public static StripeEventView Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("A Stripe event is a JSON object.");
        return new StripeEventView(document.RootElement.Clone());
    }

    public string? Field(params string[] path) => StripeJson.Str(Object, path);
    public long? Number(params string[] path) => StripeJson.Long(Object, path);
    public bool Flag(params string[] path) => StripeJson.Element(Object, path) is { ValueKind: JsonValueKind.True };
    public string? Metadata(string key, params string[] at) => StripeJson.Str(Object, [.. at, "metadata", key]);
}

public static class StripeJson
{
    public static JsonElement? Element(JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return null;
        }
        return current;
    }

    /// <summary>A string at <paramref name="path"/>; an expanded object yields its <c>id</c>. Empty strings are null.</summary>
    public static string? Str(JsonElement element, params string[] path) => Element(element, path) switch
    {
        { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } text => text,
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String => id.GetString(),
        _ => null,
    };

    public static long? Long(JsonElement element, params string[] path) =>
        Element(element, path) is { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out var value) ? value : null;

    public static IEnumerable<JsonElement> List(JsonElement element, params string[] path) =>
        Element(element, path) is { ValueKind: JsonValueKind.Object } list && list.TryGetProperty("data", out var data)
            && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray()
            : [];
}
