using System.Text.Json.Nodes;

namespace Ledger.Projections.Rebuilds;

/// <summary>Field-by-field differences between two JSON documents, as (path, stored, recomputed); paths like <c>blocks.g1.consumed</c>.</summary>
public static class JsonDifferences
{
    public static IEnumerable<(string Field, string? Stored, string? Recomputed)> Between(JsonNode? stored, JsonNode? recomputed, string path = "")
    {
        switch (stored, recomputed)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
                    foreach (var d in Between(a[key], b[key], Join(path, key))) yield return d;
                break;
            case (JsonArray a, JsonArray b) when a.Count == b.Count:
                for (var i = 0; i < a.Count; i++)
                    foreach (var d in Between(a[i], b[i], $"{path}[{i}]")) yield return d;
                break;
            default:
                // values as written: 100.0 and 100 are one number to jsonb, but a long field cannot read the first back
                if (stored?.GetValueKind() != recomputed?.GetValueKind() || Text(stored) != Text(recomputed)) yield return (path == "" ? "(document)" : path, Text(stored), Text(recomputed));
                break;
        }
    }

    private static string Join(string path, string key) => path == "" ? key : $"{path}.{key}";

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
