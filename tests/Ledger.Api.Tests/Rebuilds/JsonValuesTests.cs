using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Projections.Rebuilds;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Rebuilds;

/// <summary>
/// The rebuild's cheap comparison of a stored document with its recomputed self (<see cref="JsonValues"/>): it must never
/// call two different JSON values the same, and it should call the same value the same whatever the member order and
/// spacing (jsonb's order against the serializer's).
/// </summary>
public sealed class JsonValuesTests
{
    private static bool Same(string stored, string recomputed)
    {
        using var a = JsonDocument.Parse(stored);
        using var b = JsonDocument.Parse(recomputed);
        return JsonValues.Same(a.RootElement, b.RootElement);
    }

    [Theory]
    [InlineData("""{"id": "a", "amount": 5, "draws": [{"block": "g", "credits": 5}], "metadata": null}""",
        """{"amount":5,"metadata":null,"id":"a","draws":[{"credits":5,"block":"g"}]}""")]
    [InlineData("""[]""", """[]""")]
    [InlineData("""{}""", """{}""")]
    [InlineData("""{"at": "2026-12-03T10:00:00+00:00", "ok": true, "no": false}""", """{"no":false,"ok":true,"at":"2026-12-03T10:00:00+00:00"}""")]
    public void The_same_value_in_another_member_order_or_spacing_is_the_same(string stored, string recomputed) =>
        Same(stored, recomputed).ShouldBeTrue();

    [Theory]
    [InlineData("""{"amount": 5}""", """{"amount":6}""")]
    [InlineData("""{"amount": 5}""", """{"amount":5,"extra":null}""")]
    [InlineData("""{"amount": 5, "extra": null}""", """{"amount":5}""")]
    [InlineData("""{"amount": 5}""", """{"Amount":5}""")]
    [InlineData("""{"a": [1, 2]}""", """{"a":[2,1]}""")]
    [InlineData("""{"a": [1, 2]}""", """{"a":[1,2,3]}""")]
    [InlineData("""{"a": "5"}""", """{"a":5}""")]
    [InlineData("""{"a": true}""", """{"a":false}""")]
    [InlineData("""{"a": null}""", """{"a":{}}""")]
    [InlineData("""{"a": {"b": {"c": 1}}}""", """{"a":{"b":{"c":2}}}""")]
    [InlineData("""{"a": "x"}""", """{"a":"y"}""")]
    public void Different_values_are_never_the_same(string stored, string recomputed)
    {
        Same(stored, recomputed).ShouldBeFalse();
        Same(recomputed, stored).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"a": 100.0}""", """{"a":100}""")]
    [InlineData("""{"a": "é"}""", """{"a":"\u00e9"}""")]
    public void Another_spelling_of_the_same_value_is_left_to_the_slower_comparison(string stored, string recomputed)
    {
        // the same value (jsonb and JsonElement.DeepEquals agree) ...
        using (var a = JsonDocument.Parse(stored))
        using (var b = JsonDocument.Parse(recomputed))
            JsonElement.DeepEquals(a.RootElement, b.RootElement).ShouldBeTrue();
        // ... which the cheap comparison does not claim: the rebuild then compares the deserialized documents
        Same(stored, recomputed).ShouldBeFalse();
    }

    [Fact]
    public void Random_documents_agree_with_DeepEquals_when_shuffled_and_when_one_value_changes()
    {
        var random = new Random(20261203);
        for (var i = 0; i < 2_000; i++)
        {
            var document = Tree(random, 0);
            var shuffled = Shuffle(document, random);
            Same(Text(document), Text(shuffled)).ShouldBeTrue(Text(document));
            var changed = Shuffle(document, random);
            if (!Mutate(changed, random)) continue;
            var deep = JsonNode.DeepEquals(document, changed);
            Same(Text(document), Text(changed)).ShouldBe(deep, $"{Text(document)} / {Text(changed)}");
        }
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static JsonNode? Tree(Random random, int depth) => (depth < 3 ? random.Next(6) : random.Next(3)) switch
    {
        0 => JsonValue.Create(random.Next(-3, 4)),
        1 => JsonValue.Create(random.Next(3) == 0 ? "é" : $"v{random.Next(4)}"),
        2 => random.Next(3) == 0 ? null : JsonValue.Create(random.Next(2) == 0),
        3 or 4 => new JsonObject(Enumerable.Range(0, random.Next(5)).Select(k => KeyValuePair.Create($"{(char)('a' + k)}{new string('x', random.Next(3))}", Tree(random, depth + 1)))),
        _ => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => Tree(random, depth + 1))]),
    };

    private static JsonNode? Shuffle(JsonNode? node, Random random) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(_ => random.Next()).Select(p => KeyValuePair.Create(p.Key, Shuffle(p.Value, random)))),
        JsonArray a => new JsonArray([.. a.Select(x => Shuffle(x, random))]),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>Changes one value somewhere in the tree (a member's value, or adds a member); false if there was nowhere to.</summary>
    private static bool Mutate(JsonNode? node, Random random)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0 && random.Next(3) > 0:
                var key = o.ElementAt(random.Next(o.Count)).Key;
                if (o[key] is JsonObject or JsonArray && random.Next(2) == 0) return Mutate(o[key], random);
                o[key] = JsonValue.Create(random.Next(-3, 4));
                return true;
            case JsonObject o:
                o[$"new{random.Next(3)}"] = null;
                return true;
            case JsonArray a when a.Count > 0:
                var index = random.Next(a.Count);
                if (a[index] is JsonObject or JsonArray && random.Next(2) == 0) return Mutate(a[index], random);
                a[index] = JsonValue.Create("changed");
                return true;
            default:
                return false;
        }
    }
}
