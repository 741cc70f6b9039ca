using System.Globalization;
using System.Text;

namespace Ledger.Api.Http;

/// <summary>
/// A CSV cell: text (escaped against formula injection) or a value the service formats itself (a number, an instant),
/// written as it is. Text converts implicitly, so a row is a plain collection of strings and <see cref="Number"/>s.
/// </summary>
public readonly record struct CsvCell(string? Value, bool Formatted)
{
    public static implicit operator CsvCell(string? text) => new(text, false);

    public static CsvCell Number(long? value) => new(value?.ToString(CultureInfo.InvariantCulture), true);

    /// <summary>ISO-8601 in UTC with seven fractional digits.</summary>
    public static CsvCell Instant(DateTimeOffset? at) =>
        new(at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture), true);
}

/// <summary>
/// The one CSV writer of the service (statements, dispute packs): RFC 4180 (CRLF line ends; a field holding a comma, a quote
/// or a line break is quoted, quotes doubled) and safe to open in a spreadsheet: a text cell starting with <c>=</c>,
/// <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return is prefixed with <c>'</c> (OWASP, CSV injection), so a reason or
/// metadata value such as <c>=HYPERLINK(...)</c> reads as text. Numbers and instants the service formats are written as
/// they are: a negative balance stays a number (its form, <c>-?[0-9]+</c>, cannot be a formula).
/// </summary>
public sealed class CsvWriter
{
    private readonly StringBuilder _csv = new();

    public CsvWriter Row(IReadOnlyList<CsvCell> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0) _csv.Append(',');
            _csv.Append(Field(cells[i]));
        }
        _csv.Append("\r\n");
        return this;
    }

    public CsvWriter Header(IEnumerable<string> names) => Row([.. names.Select(n => (CsvCell)n)]);

    public override string ToString() => _csv.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_csv.ToString());

    /// <summary>
    /// Whether a read answers CSV: <c>format</c> (<c>json</c> or <c>csv</c>) if given, else an <c>Accept</c> that ranks
    /// text/csv above JSON (quality values honoured); null (and an error for <c>format</c>) for any other format.
    /// </summary>
    public static bool? Wanted(string? format, HttpRequest request, Dictionary<string, string[]> errors)
    {
        var csv = format?.ToLowerInvariant() switch
        {
            null => PrefersCsv(request),
            "json" => false,
            "csv" => true,
            _ => (bool?)null,
        };
        if (csv is null) errors["format"] = ["Must be json or csv."];
        return csv;
    }

    private static bool PrefersCsv(HttpRequest request)
    {
        var accepted = request.GetTypedHeaders().Accept;
        double Quality(string type) => accepted.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(-1).Max();
        var csv = Quality("text/csv");
        return csv > 0 && csv > Math.Max(Quality("application/json"), Quality("*/*") - 0.001);
    }

    public static string Field(CsvCell cell)
    {
        if (cell.Value is not { } value) return "";
        if (!cell.Formatted && value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
