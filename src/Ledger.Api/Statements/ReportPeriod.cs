using Ledger.Api.Http;

namespace Ledger.Api.Statements;

/// <summary>
/// The period [From, To) a statement or usage series covers. <c>to</c> defaults to now and <c>from</c> to 30 days
/// before <c>to</c>; a period is at most 366 days, so one request never replays more than a year of movements.
/// </summary>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To)
{
    public static readonly TimeSpan DefaultLength = TimeSpan.FromDays(30);
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(366);

    /// <summary>Checks both bounds and names every bad one, so a client fixes them all at once.</summary>
    public static ReportPeriod? Parse(string? from, string? to, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        var fromInstant = Rules.Instant(from, "from", errors);
        var toInstant = Rules.Instant(to, "to", errors);
        if (errors.ContainsKey("from") || errors.ContainsKey("to")) return null;

        var end = toInstant ?? now;
        var start = fromInstant ?? end - DefaultLength;
        if (end <= start)
            errors["to"] = ["Must be later than from: the period is [from, to)."];
        else if (end - start > MaxLength)
            errors["to"] = [$"The period may span at most {MaxLength.TotalDays:0} days."];
        return errors.Count > 0 ? null : new ReportPeriod(start, end);
    }

}
