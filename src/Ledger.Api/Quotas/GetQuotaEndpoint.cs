using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Api.Balances;
using Ledger.Projections.ReadModel;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Quotas;

public sealed record QuotaWarning(int Threshold, bool Reached, bool Blocking);

public sealed record OverageView(long Credits, long? PriceMinor, string? Currency);

public sealed record QuotaView(
    string AccountId, string Plan, DateTimeOffset? PeriodStart, DateTimeOffset? PeriodEnd, long Allowance, long Used,
    long Remaining, DateTimeOffset? ResetAt, int UsedPercent, IReadOnlyList<QuotaWarning> Warnings, OverageView Overage)
{
    /// <summary>
    /// Used is what the period consumed net of refunds, from every source (the one read model's quota); warnings fire at
    /// the plan's thresholds (80 % and 100 % by default). On fair-use plans (overage "allow") they never block.
    /// </summary>
    public static QuotaView From(AccountReading reading, Plan? plan)
    {
        var quota = reading.Quota;
        var blocking = plan?.Overage.Mode == "block";
        var warnings = (plan?.SoftLimitThresholds ?? [])
            .Select(t => new QuotaWarning(t, quota.Allowance > 0 && quota.UsedPercent >= t, blocking && t >= 100))
            .ToList();
        long? price = plan?.Overage is { Mode: "invoice", UnitAmountMinor: { } unit, PerCredits: { } per }
            ? (quota.Overage * unit + per - 1) / per
            : null;
        return new QuotaView(reading.State.Id, reading.State.Plan, quota.PeriodStart, quota.PeriodEnd, quota.Allowance, quota.Used,
            quota.Remaining, quota.PeriodEnd, quota.UsedPercent, warnings, new OverageView(quota.Overage, price, plan?.Overage.Currency));
    }
}

public static class GetQuotaEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/quota")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Quotas")]
    [EndpointSummary("The period's allowance, use, warnings and overage: now, as of an instant (asOf) or at a stream version (version)")]
    [EndpointDescription("The billing period in force (start, end, resetAt), the plan's allowance, what was used of it and what remains, the soft-limit warnings reached (80 % and 100 % by default) and overage priced as the plan bills it. Computed from the account's events at the time of the request. " + PointInTime.Description)]
    [ProducesResponseType<QuotaView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(
        string accountId, string? asOf, string? version, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        if (PointInTime.Parse(asOf, version, errors) is not { } when) return Problems.Validation(errors);
        var (reading, problem) = await when.Read(accountId, http, session, plans, clock);
        return problem ?? Results.Ok(QuotaView.From(reading!, plans.Find(reading!.State.Plan)));
    }
}
