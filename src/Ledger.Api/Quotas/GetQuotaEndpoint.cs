using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
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
    /// Used is what the period consumed net of refunds, from every source; warnings fire at the plan's
    /// thresholds (80 % and 100 % by default). On fair-use plans (overage "allow") they never block.
    /// </summary>
    public static QuotaView From(Account account, Plan? plan, DateTimeOffset now)
    {
        var terms = plan?.Terms();
        var state = account.Then(CatchUp.To(account, now, terms));
        var allowance = plan?.Allowance ?? 0;
        var used = state.PeriodConsumed;
        var percent = allowance > 0 ? (int)Math.Min(10_000, used * 100 / allowance) : 0;
        var blocking = plan?.Overage.Mode == "block";
        var warnings = (plan?.SoftLimitThresholds ?? [])
            .Select(t => new QuotaWarning(t, allowance > 0 && percent >= t, blocking && t >= 100))
            .ToList();
        var overage = Balance.Sum(state, now).Overage;
        long? price = plan?.Overage is { Mode: "invoice", UnitAmountMinor: { } unit, PerCredits: { } per }
            ? (overage * unit + per - 1) / per
            : null;
        return new QuotaView(state.Id, state.Plan, state.Period?.Start, state.Period?.End, allowance, used,
            Math.Max(0, allowance - used), state.Period?.End, percent, warnings,
            new OverageView(overage, price, plan?.Overage.Currency));
    }
}

public static class GetQuotaEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/quota")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Quotas")]
    [EndpointSummary("The current period's allowance, use, warnings and overage")]
    [EndpointDescription("The billing period in force (start, end, resetAt), the plan's allowance, what was used of it and what remains, the soft-limit warnings reached (80 % and 100 % by default) and overage priced as the plan bills it. Computed from the account's events at the time of the request.")]
    [ProducesResponseType<QuotaView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string accountId, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        if (!http.User.CanSee(accountId)) return AccountWrites.NotFound(accountId);
        var account = await session.LoadAsync<Account>(accountId, http.RequestAborted);
        return account is null ? AccountWrites.NotFound(accountId) : Results.Ok(QuotaView.From(account, plans.Find(account.Plan), clock.GetUtcNow()));
    }
}
