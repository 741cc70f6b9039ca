using Ledger.Api.Auth;
using Ledger.Api.Http;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Integrity;

public static class VerifyEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/verify")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Audit")]
    [EndpointSummary("Recompute the account's hash chain and name the first break")]
    [EndpointDescription("Each event's hash covers its stream, version, type, data, metadata (correlation and causation ids, headers) "
        + "and the previous event's hash (SHA-256 over canonical JSON, ADR 45); the account keeps the last one. `status`: `intact`, "
        + "`broken` (`firstBreak`: the version, `reason` (`hash-mismatch`, `missing-event`, `missing-hash`, `head-mismatch`), the hash "
        + "the chain gives it and the one stored) or `unchained` (written before hashing and not chained yet).")]
    [ProducesResponseType<ChainVerdict>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string accountId, HttpContext http, IDocumentStore store)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        return await ChainVerifier.Verify(store, accountId, http.RequestAborted) is { } verdict
            ? Results.Ok(verdict)
            : AccountWrites.NotFound(accountId);
    }
}
