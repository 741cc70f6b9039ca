using System.Text;
using Ledger.Api.Audit;
using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Statements;

public static class GetStatementEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/statement")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Audit")]
    [EndpointSummary("Statement of a period: opening balance, each movement with the balance after it, closing balance")]
    [EndpointDescription("Query: `from` and `to` (ISO-8601 instants; the period is [from, to), at most 366 days; default the 30 days "
        + "up to now), `format` (`json`, the default, or `csv`; without `format`, `Accept: text/csv` asks for csv: RFC 4180 with a header row, the opening balance first and the "
        + "closing balance last). Recomputed from the events alone; balances count what happened before each bound, time included.")]
    [ProducesResponseType<StatementView>(StatusCodes.Status200OK, "application/json")]
    [CsvAlternative("type,version,at,amount,released,grantId,source,reservationId,usageId,refundId,feature,draws,costBasisMinor,costBasisCurrency,reference,reason,available,reserved,frozen,overage,granted,consumed,expired,voided,refunded,upcoming\r\n"
        + "opening,0,2026-11-02T19:46:50.7928432Z,,,,,,,,,,,,,,0,0,0,0,0,0,0,0,0,0\r\n"
        + "credits_granted,3,2026-12-02T19:45:47.9145043Z,10000,,plan:20261202T194547,plan,,,,,,,,,starter allowance,10000,0,0,0,10000,0,0,0,0,0\r\n"
        + "credits_reserved,4,2026-12-02T19:45:48.8314252Z,10,,,,r1,,,,plan:20261202T194547=10,,,,,9990,10,0,0,10000,0,0,0,0,0\r\n"
        + "closing,4,2026-12-02T19:46:50.7928432Z,,,,,,,,,,,,,,9990,10,0,0,10000,0,0,0,0,0\r\n")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? from, string? to, string? format, HttpContext http, IQuerySession session, TimeProvider clock, PlanCatalog plans)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        var period = ReportPeriod.Parse(from, to, clock.GetUtcNow(), errors);
        var csv = format?.ToLowerInvariant() switch
        {
            null => PrefersCsv(http.Request),
            "json" => false,
            "csv" => true,
            _ => (bool?)null,
        };
        if (csv is null) errors["format"] = ["Must be json or csv."];
        if (period is null || csv is null) return Problems.Validation(errors);

        if (await AccountHistory.Before(session, accountId, period.To, http.RequestAborted) is not { } events)
            return AccountWrites.NotFound(accountId);

        var typeNames = session.DocumentStore.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);
        var statement = new StatementBuilder(accountId, plans.TermsOf, t => typeNames.GetValueOrDefault(t, t.Name)).Build(events, period);
        if (csv is false) return Results.Ok(statement);

        // an attachment: the framework writes Content-Disposition (filename and RFC 5987 filename*) from the safe name
        return Results.File(Encoding.UTF8.GetBytes(StatementCsv.Write(statement)), "text/csv; charset=utf-8", StatementCsv.FileName(accountId, period));
    }

    /// <summary>Without <c>format</c>, an <c>Accept</c> that ranks text/csv above JSON asks for CSV (quality values honoured).</summary>
    private static bool PrefersCsv(HttpRequest request)
    {
        var accepted = request.GetTypedHeaders().Accept;
        double Quality(string type) => accepted.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(-1).Max();
        var csv = Quality("text/csv");
        return csv > 0 && csv > Math.Max(Quality("application/json"), Quality("*/*") - 0.001);
    }
}
