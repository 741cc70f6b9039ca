using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Authorization;
using Ledger.Api.Auth;
using Wolverine.Http;

namespace Ledger.Api.Plans;

public static class GetPlansEndpoint
{
    [WolverineGet("/v1/plans")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Plans")]
    [EndpointSummary("Plans and credit packs from the plans file")]
    [EndpointDescription("Every plan of the plans file (allowance, rollover, rate limit, per-request cap, overage, features, thresholds) and the credit packs sold through Stripe Checkout. Any valid key may read it.")]
    [ProducesResponseType<PlansFile>(StatusCodes.Status200OK)]
    public static PlansFile Get(PlanCatalog catalog) => catalog.File;
}
