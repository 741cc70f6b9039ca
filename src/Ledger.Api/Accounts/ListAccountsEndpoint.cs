using Ledger.Api.Auth;
using Ledger.Api.Balances;
using Ledger.Api.Http;
using Ledger.Api.Plans;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Accounts;

public static class ListAccountsEndpoint
{
    public static readonly string[] Statuses = ["active", "grace", "suspended", "frozen"];

    [WolverineGet("/v1/accounts")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Accounts")]
    [EndpointSummary("List accounts, newest first, optionally by plan and status")]
    [EndpointDescription(ListQuery.Description + " Filters: `plan` (a plan id), `status` (`active`, `grace`, `suspended`, `frozen`, "
        + "as an account's `status` reads now: a grace period that ended counts as suspended). A key bound to one account lists that account only.")]
    [ProducesResponseType<ListPage<AccountView>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> List(
        string? plan, string? status, string? limit, string? starting_after, HttpContext http, IQuerySession session, PlanCatalog plans, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>();
        var page = ListQuery.Parse(limit, starting_after, errors);
        if (plan is not null && plans.Find(plan) is null) errors["plan"] = [$"Unknown plan; one of: {string.Join(", ", plans.Plans.Keys)}."];
        if (status is not null && !Statuses.Contains(status)) errors["status"] = [$"One of: {string.Join(", ", Statuses)}."];
        if (page is null || errors.Count > 0) return Problems.Validation(errors);

        var ct = http.RequestAborted;
        var now = clock.GetUtcNow();
        if (page.StartingAfter is { } after && (!http.User.CanSee(after) || await session.LoadAsync<Account>(after, ct) is null))
            return Problems.Validation(ListQuery.UnknownCursor("account", after));

        var filter = new List<string> { "true" };
        var args = new List<object>();
        if (http.User.FindFirst(ApiKeyAuthentication.AccountClaim)?.Value is { } bound)
        {
            filter.Add("d.id = ?");
            args.Add(bound);
        }
        if (plan is not null)
        {
            filter.Add("d.data ->> 'plan' = ?");
            args.Add(plan);
        }
        if (status is not null)
        {
            // the stored status, and what time alone has done to it since: a grace period that ended is a suspension
            var graceOver = $"{Ledger.Projections.LedgerStore.Schema}.mt_immutable_timestamptz(d.data ->> 'graceEndsAt') <= ?";
            filter.Add(status switch
            {
                "active" => "lower(d.data ->> 'status') = 'active' and not (d.data ->> 'spendingFrozen')::boolean",
                "frozen" => "lower(d.data ->> 'status') = 'active' and (d.data ->> 'spendingFrozen')::boolean",
                "grace" => $"lower(d.data ->> 'status') = 'grace' and not coalesce({graceOver}, false)",
                _ => $"(lower(d.data ->> 'status') = 'suspended' or (lower(d.data ->> 'status') = 'grace' and coalesce({graceOver}, false)))",
            });
            if (status is "grace" or "suspended") args.Add(now);
        }
        var accounts = await Keyset.Page<Account>(session, "openedAt", string.Join(" and ", filter), args, page.StartingAfter, page.Limit, ct);
        return Results.Ok(new ListPage<AccountView>(
            accounts.Data.Select(a => AccountView.From(plans.Read(a, now))).ToList(), accounts.HasMore));
    }
}
