using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Ledger.Api.Integrity;

/// <summary>What an event's hash covers (ADR 45): everything stored about it but the store-assigned sequence and timestamp.</summary>
public sealed record HashedEvent(
    string StreamKey, long Version, string Type, JsonElement Data, string? CorrelationId, string? CausationId,
    IReadOnlyDictionary<string, JsonElement> Headers);

/// <summary>
/// The hash chain of an account's stream (ADR 45): <c>hash(v) = SHA-256(canonical JSON of {stream, version, type, data,
/// metadata: {correlationId, causationId, headers}, previous: hash(v-1) or null})</c>, lowercase hex. Canonical JSON: no
/// white space, object members sorted by ordinal name, strings escaped minimally, integers as digits, other numbers by
/// value; so the stored <c>jsonb</c> (which reorders keys and normalizes numbers) hashes as the serializer's output did.
/// </summary>
public static class EventHash
{
    /// <summary>The header an event's hash is stored in (the one header the hash does not cover).</summary>
    public const string Header = "hash";

    private static readonly JsonWriterOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = false };

    public static string Of(HashedEvent e, string? previous)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, Canonical))
        {
            // members in ordinal order: causationId < correlationId < headers; data < metadata < previous < stream < type < version
            writer.WriteStartObject();
            writer.WritePropertyName("data");
            Write(writer, e.Data);
            writer.WritePropertyName("metadata");
            writer.WriteStartObject();
            WriteNullable(writer, "causationId", e.CausationId);
            WriteNullable(writer, "correlationId", e.CorrelationId);
            writer.WritePropertyName("headers");
            writer.WriteStartObject();
            foreach (var (name, value) in e.Headers.Where(h => h.Key != Header).OrderBy(h => h.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(name);
                Write(writer, value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
            WriteNullable(writer, "previous", previous);
            writer.WriteString("stream", e.StreamKey);
            writer.WriteString("type", e.Type);
            writer.WriteNumber("version", e.Version);
            writer.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>The canonical text of a JSON value (tests and the ADR's worked example).</summary>
    public static string CanonicalText(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Canonical)) Write(writer, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in value.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(Number(value.GetRawText()), skipInputValidation: true);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.WriteBooleanValue(value.GetBoolean());
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>Integers as their digits; other numbers by decimal value (<c>1.50</c>, <c>1.5</c> and <c>15e-1</c> read the same).</summary>
    private static string Number(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0) return raw;
        return decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture)
            : raw;
    }
}
