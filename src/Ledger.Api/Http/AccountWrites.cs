using System.Diagnostics;
using Ledger.Api.Accounts;
using Ledger.Api.Auth;
using Ledger.Api.Idempotency;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Http;

/// <summary>The thin path every account-changing endpoint takes: check the account binding, submit, answer.</summary>
public static class AccountWrites
{
    public static async Task<IResult> Submit(
        HttpContext http, AccountCommandProcessor processor, string accountId, IAccountCommand command,
        Func<Outcome, (int Status, object Body)> render)
    {
        if (!http.User.CanSee(accountId)) return NotFound(accountId);
        var idempotency = http.Features.Get<IdempotencyScope>();
        var context = new EventContext(
            http.User.KeyId(),
            Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier,
            http.Request.Headers["X-Causation-Id"].FirstOrDefault(),
            idempotency?.Key);
        var reply = await processor.Submit(new AccountRequest(accountId, command, render, context, idempotency));
        return reply.ToResult();
    }

    public static IResult NotFound(string accountId) => Problems.From(Rejection.AccountNotFound(accountId));
}
