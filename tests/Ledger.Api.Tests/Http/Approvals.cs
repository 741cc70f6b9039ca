using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// Approval testing in Verify's convention (Verify.Xunit cannot be restored here): the scrubbed, indented JSON is
/// compared with <c>{TestFile}.{name}.verified.json</c> next to the test's source file; on a mismatch (or when no
/// verified file exists yet) <c>{TestFile}.{name}.received.json</c> is written beside it and the test fails. Accept a
/// change by renaming the received file to verified. GUIDs (UUIDv7 included, with or without dashes) become
/// <c>Guid_1</c>, <c>Guid_2</c>, ... and ISO-8601 instants (extended or basic format) <c>DateTimeOffset_1</c>, ... numbered by first
/// appearance, so equal values stay visibly equal.
/// </summary>
public static partial class Approvals
{
    [GeneratedRegex(@"(?<![0-9a-fA-F-])[0-9a-fA-F]{8}(-?)[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}\1[0-9a-fA-F]{12}(?![0-9a-fA-F-])")]
    private static partial Regex GuidPattern();

    // Extended (2025-11-23T09:01:02.123+00:00) and basic (20251123T090102Z, as in generated ids like plan:20251123T090102) forms.
    [GeneratedRegex(@"\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?|\d{8}T\d{6}(\.\d{1,9})?Z?)\b")]
    private static partial Regex InstantPattern();

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        IndentSize = 2,
        NewLine = "\n",
    };

    /// <summary>Scrubs <paramref name="json"/> and replaces every GUID and ISO instant in its strings with a stable placeholder.</summary>
    public static string Scrub(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new ArgumentException("null JSON", nameof(json));
        var guids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var instants = new Dictionary<string, string>(StringComparer.Ordinal);
        node = ScrubNode(node, guids, instants);
        return node!.ToJsonString(Indented) + "\n";
    }

    /// <summary>Compares the scrubbed <paramref name="json"/> with the verified file for <paramref name="name"/>.</summary>
    public static void Verify(string json, string name, [CallerFilePath] string sourceFile = "")
    {
        var scrubbed = Scrub(json);
        var directory = Path.GetDirectoryName(sourceFile)!;
        var stem = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(sourceFile)}.{name}");
        var verifiedPath = stem + ".verified.json";
        var receivedPath = stem + ".received.json";

        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
        if (verified == scrubbed)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, scrubbed, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        Assert.Fail(verified is null
            ? $"No verified file yet. Review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)} to approve:\n{scrubbed}"
            : $"The JSON differs from {Path.GetFileName(verifiedPath)}. Received (written to {Path.GetFileName(receivedPath)}):\n{scrubbed}\nVerified:\n{verified}");
    }

    private static JsonNode? ScrubNode(JsonNode? node, Dictionary<string, string> guids, Dictionary<string, string> instants)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                    obj[key] = ScrubNode(value?.DeepClone(), guids, instants);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    array[i] = ScrubNode(array[i]?.DeepClone(), guids, instants);
                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(ScrubText(text, guids, instants));
            default:
                return node;
        }
    }

    internal static string ScrubText(string text, Dictionary<string, string> guids, Dictionary<string, string> instants)
    {
        text = InstantPattern().Replace(text, m => Placeholder(instants, m.Value, "DateTimeOffset"));
        return GuidPattern().Replace(text, m => Placeholder(guids, m.Value.Replace("-", ""), "Guid"));
    }

    private static string Placeholder(Dictionary<string, string> seen, string value, string kind)
    {
        if (!seen.TryGetValue(value, out var placeholder))
        {
            placeholder = $"{kind}_{seen.Count + 1}";
            seen[value] = placeholder;
        }
        return placeholder;
    }
}
