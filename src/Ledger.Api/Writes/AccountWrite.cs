using Ledger.Api.Auth;
using Ledger.Api.Http;
using Ledger.Api.Idempotency;
using Ledger.Domain.Accounts;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Writes;

/// <summary>
/// What a write endpoint returns: the command for one account and how to render its outcome. Executing it is the one
/// shared write path: the key's account binding, the Idempotency-Key (a stored receipt answers instead of a new
/// write), the <see cref="WritePipeline"/>, then the answer rendered after the commit, outside the transaction. A
/// refusal answers its problem (its kind is its status); a write the database could not take answers 503.
/// </summary>
public sealed class AccountWrite(string accountId, IAccountCommand command, Func<Written, IResult> render) : IResult
{
    public string AccountId { get; } = accountId;
    public IAccountCommand Command { get; } = command;

    public async Task ExecuteAsync(HttpContext http) => await (await Answer(http)).ExecuteAsync(http);

    private async Task<IResult> Answer(HttpContext http)
    {
        if (!http.User.CanSee(AccountId)) return AccountWrites.NotFound(AccountId);
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        string? receipt;
        bool replayed;
        if (http.Features.Get<IdempotentReplay>() is { } replay)
        {
            (receipt, replayed) = (replay.Receipt, true);
        }
        else
        {
            var idempotency = http.Features.Get<IdempotencyScope>();
            var context = new EventContext(http.User.KeyId(), http.TraceIdentifier,
                http.Request.Headers["X-Causation-Id"].FirstOrDefault(), idempotency?.Key);
            var written = await http.RequestServices.GetRequiredService<WritePipeline>()
                .Submit(new WriteRequest(AccountId, Command, context, idempotency));
            if (written.Receipt is null) return Render(written, http);
            (receipt, replayed) = (written.Receipt, written.Replayed);
        }
        // With an Idempotency-Key, the first answer and every replay are rendered from the same stored receipt.
        if (replayed) http.Response.Headers[IdempotencyMiddleware.ReplayedHeader] = "true";
        return Render(WriteReceipt.Parse(receipt, json).ToWritten(json, replayed), http);
    }

    private IResult Render(Written written, HttpContext http) =>
        written.Decision is Decision.Rejected rejected ? Problems.From(rejected.Rejection)
            : render(written with { Plans = http.RequestServices.GetRequiredService<Ledger.Api.Plans.PlanCatalog>() });
}
