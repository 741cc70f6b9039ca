using Ledger.Api.Writes;
using Ledger.Domain.Accounts;

namespace Ledger.Api.Http;

public static class AccountWrites
{
    /// <summary>The answer for an account that does not exist, or that the key may not see (a bound key sees one account).</summary>
    public static IResult NotFound(string accountId) => Problems.From(Rejection.AccountNotFound(accountId));
}
