using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Audit;

/// <summary>
/// An event's stored body as the API shows it (ADR 47): the store writes enum values by their C# names (<c>Purchase</c>,
/// <c>WrittenOff</c>: Marten's enum storage, which its LINQ queries rely on), every view and request of the API reads them
/// camelCase (<c>purchase</c>, <c>writtenOff</c>). Reading upcasts them, so <c>/events</c>, statements, lists and dispute
/// packs read one casing; the stored rows (and the hash chain over them) are never rewritten.
/// </summary>
public static class EventJson
{
    private static readonly FrozenDictionary<Type, string[]> EnumMembers = AccountEvents.All.ToFrozenDictionary(
        t => t,
        t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType).IsEnum)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToArray());

    /// <summary>The stored body with its enum values camelCase; unchanged for a type without enum members or an unknown type.</summary>
    public static JsonElement Upcast(Type? eventType, JsonElement stored)
    {
        if (eventType is null || !EnumMembers.TryGetValue(eventType, out var members) || members.Length == 0
            || stored.ValueKind != JsonValueKind.Object)
            return stored;
        var node = JsonNode.Parse(stored.GetRawText())!.AsObject();
        foreach (var name in members)
            if (node[name] is JsonValue value && value.TryGetValue<string>(out var text))
                node[name] = JsonNamingPolicy.CamelCase.ConvertName(text);
        return JsonSerializer.SerializeToElement(node);
    }
}
