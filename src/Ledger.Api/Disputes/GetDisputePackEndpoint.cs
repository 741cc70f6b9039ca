using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Integrity;
using Ledger.Api.Stripe;
using Ledger.Domain.Accounts;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Disputes;

public static class GetDisputePackEndpoint
{
    [WolverineGet("/v1/accounts/{accountId}/disputes/{reference}")]
    [Authorize(Policy = Scopes.Read)]
    [Tags("Audit")]
    [EndpointSummary("Dispute pack for one purchase: grant, consumptions with request metadata, refunds, voids, dispute events, chain verdict")]
    [EndpointDescription("`reference`: a grant id, a grant's reference (for a Stripe purchase, its payment intent), or a Stripe checkout "
        + "session, charge or dispute id recorded for the purchase. Every event that moved credits of the block or changed its standing, in "
        + "stream order, with who wrote it and its hash; the Stripe events of the payment; totals; the account's hash chain verdict (ADR 45, 46). "
        + "`format`: `json` (default) or `csv` (or `Accept: text/csv`): one table, formula injection escaped.")]
    [ProducesResponseType<DisputePackView>(StatusCodes.Status200OK, "application/json")]
    [ProducesCsv("The pack as one RFC 4180 table: a grant row, one row per entry, stripe-event rows, a totals row and a chain row; text cells "
        + "starting with =, +, -, @, a tab or a carriage return are prefixed with ' (CSV injection).")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Get(string accountId, string reference, string? format, HttpContext http, IQuerySession session)
    {
        if (!http.User.CanSee(accountId) || !Rules.IsValidId(accountId)) return AccountWrites.NotFound(accountId);
        var errors = new Dictionary<string, string[]>();
        var csv = CsvWriter.Wanted(format, http.Request, errors);
        if (csv is null) return Problems.Validation(errors);
        var ct = http.RequestAborted;
        if (await session.LoadAsync<Account>(accountId, ct) is not { } account) return AccountWrites.NotFound(accountId);

        var grantId = DisputePack.GrantNamedBy(account, reference);
        if (grantId is null)
        {
            // a Stripe object of the purchase (checkout session, charge, dispute): its record names the payment
            var paymentKey = await session.Query<StripeEventRecord>()
                .Where(r => r.AccountId == accountId && (r.ObjectId == reference || r.PaymentKey == reference) && r.PaymentKey != null)
                .Select(r => r.PaymentKey!).Take(1).ToListAsync(ct);
            if (paymentKey.Count > 0) grantId = DisputePack.GrantNamedBy(account, StripeEventMapper.GrantIdFor(paymentKey[0]));
        }
        if (grantId is null)
            return Problems.Result(ProblemTypes.DisputeReferenceNotFound, $"Account '{accountId}' has no purchase with reference '{reference}'.",
                new Dictionary<string, object?> { ["reference"] = reference });

        var events = await session.Events.FetchStreamAsync(accountId, token: ct);
        var payment = grantId.StartsWith(StripeEventMapper.GrantIdFor(""), StringComparison.Ordinal) ? grantId[StripeEventMapper.GrantIdFor("").Length..] : null;
        IReadOnlyList<StripeEventRecord> stripe = payment is null ? [] : await session.Query<StripeEventRecord>()
            .Where(r => r.PaymentKey == payment && r.AccountId == accountId).ToListAsync(ct);
        var chain = (await ChainVerifier.Verify(session.DocumentStore, accountId, ct))!;
        var typeNames = session.DocumentStore.Options.Events.AllKnownEventTypes().ToDictionary(t => t.EventType, t => t.EventTypeName);
        var pack = DisputePack.Build(accountId, reference, grantId, events, stripe, chain, t => typeNames.GetValueOrDefault(t, t.Name));
        return csv is true
            ? Results.File(System.Text.Encoding.UTF8.GetBytes(DisputePackCsv.Write(pack)), "text/csv; charset=utf-8",
                DisputePackCsv.FileName(pack))
            : Results.Ok(pack);
    }
}
