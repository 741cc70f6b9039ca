using System.Globalization;
using Ledger.Api.Http;

namespace Ledger.Api.Statements;

/// <summary>
/// A statement as RFC 4180 CSV (<see cref="CsvWriter"/>: text cells escaped against formula injection): one header row,
/// the opening balance as the first row, one row per movement, the closing balance as the last row. Instants are
/// ISO-8601 in UTC; draws read <c>grantId=amount</c>, separated by <c>;</c>.
/// </summary>
public static class StatementCsv
{
    public static readonly string[] Header =
    [
        "type", "version", "at", "amount", "released", "grantId", "source", "reservationId", "usageId", "refundId", "feature",
        "draws", "costBasisMinor", "costBasisCurrency", "reference", "reason",
        "available", "reserved", "frozen", "overage", "granted", "consumed", "expired", "voided", "refunded", "upcoming",
    ];

    public static string Write(StatementView statement)
    {
        var csv = new CsvWriter().Header(Header);
        csv.Row(BoundFields("opening", statement.Opening));
        foreach (var row in statement.Movements)
        {
            csv.Row([
                row.Type, Number(row.Version), Instant(row.At), Number(row.Amount), Number(row.Released), row.GrantId, row.Source,
                row.ReservationId, row.UsageId, row.RefundId, row.Feature,
                row.Draws is null ? null : string.Join(';', row.Draws.Select(d => $"{d.GrantId}={d.Amount.ToString(CultureInfo.InvariantCulture)}")),
                Number(row.CostBasis?.AmountMinor), row.CostBasis?.Currency, row.Reference, row.Reason, .. Sums(row.Balance),
            ]);
        }
        csv.Row(BoundFields("closing", statement.Closing));
        return csv.ToString();
    }

    /// <summary>
    /// Letters, digits, '_', '.' and '-' only, whatever the account id holds (':' is not allowed in Windows file names, and an
    /// id stored before ids were checked whole may end in a line feed), so the name is safe in a header and on any disk.
    /// </summary>
    public static string FileName(string accountId, ReportPeriod period) =>
        $"statement-{SafeName(accountId)}-{FileInstant(period.From)}-{FileInstant(period.To)}.csv";

    private static string SafeName(string text) => string.Create(text.Length, text, (name, source) =>
    {
        for (var i = 0; i < source.Length; i++)
            name[i] = char.IsAsciiLetterOrDigit(source[i]) || source[i] is '_' or '.' or '-' ? source[i] : '_';
    });

    private static CsvCell[] BoundFields(string type, StatementBound bound) =>
        [type, Number(bound.Version), Instant(bound.At), null, null, null, null, null, null, null, null, null, null, null, null, null,
            .. Sums(bound.Balance)];

    private static CsvCell[] Sums(RunningBalance b) =>
    [
        Number(b.Available), Number(b.Reserved), Number(b.Frozen), Number(b.Overage), Number(b.Granted), Number(b.Consumed),
        Number(b.Expired), Number(b.Voided), Number(b.Refunded), Number(b.Upcoming),
    ];

    private static CsvCell Number(long? value) => CsvCell.Number(value);

    private static CsvCell Instant(DateTimeOffset at) => CsvCell.Instant(at);

    /// <summary>Compact ISO-8601 (no ':'), so the name is a valid file name everywhere.</summary>
    private static string FileInstant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
