using System.Text;
using Ledger.Projections.ReadModel;
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
    [ProducesCsv("The statement as RFC 4180 CSV (`format=csv` or `Accept: text/csv`): a header row, the opening balance, one row per "
        + "movement, the closing balance; text cells starting with =, +, -, @, a tab or a carriage return are prefixed with ' (CSV injection).",
        Example = "type,version,at,amount,released,grantId,source,reservationId,usageId,refundId,feature,draws,costBasisMinor,costBasisCurrency,reference,reason,available,reserved,frozen,overage,granted,consumed,expired,voided,refunded,upcoming\r\n"
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
        var csv = CsvWriter.Wanted(format, http.Request, errors);
        if (period is null || csv is null) return Problems.Validation(errors);

        // from the last snapshot before the period (ADR 40): the opening balance is its state plus what came after it
        if (await AccountTimeline.Before(session, accountId, period.From, period.To, http.RequestAborted) is not { } history)
            return AccountWrites.NotFound(accountId);

        var typeNames = session.DocumentStore.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);
        var features = await FeatureIndex.For(session, accountId, history, http.RequestAborted);
        var statement = new StatementBuilder(accountId, plans.TermsFor, t => typeNames.GetValueOrDefault(t, t.Name), features).Build(history, period);
        if (csv is false) return Results.Ok(statement);

        // an attachment: the framework writes Content-Disposition (filename and RFC 5987 filename*) from the safe name
        return Results.File(Encoding.UTF8.GetBytes(StatementCsv.Write(statement)), "text/csv; charset=utf-8", StatementCsv.FileName(accountId, period));
    }
}
