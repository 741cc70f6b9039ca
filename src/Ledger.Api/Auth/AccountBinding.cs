using Ledger.Api.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Ledger.Api.Auth;

/// <summary>
/// Part of the <c>admin</c> policy: a key bound to one account may use an admin endpoint only if the endpoint's route
/// names an account (<c>{accountId}</c>), where the endpoint shows it that account alone (any other is 404). Admin
/// endpoints without one (Stripe events, reconciliation, API keys, and any added later under the policy) reach across
/// accounts, so a bound key is refused there before the endpoint runs. Unbound keys are not concerned.
/// </summary>
public sealed class AccountInRoute : AuthorizationHandler<AccountInRoute>, IAuthorizationRequirement
{
    public const string RouteParameter = "accountId";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccountInRoute requirement)
    {
        // Not calling Fail keeps the requirement pending, so the answer can tell it apart from a missing scope.
        if (!context.User.HasClaim(c => c.Type == ApiKeyAuthentication.AccountClaim) || NamesAnAccount(context.Resource))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }

    private static bool NamesAnAccount(object? resource) =>
        resource is HttpContext http && http.GetEndpoint() is RouteEndpoint endpoint && endpoint.RoutePattern.GetParameter(RouteParameter) is not null;
}

/// <summary>
/// Answers a bound key refused by <see cref="AccountInRoute"/> alone with 403 <c>key-bound-to-account</c>; every other
/// outcome (401, 403 <c>forbidden</c> for a missing scope) is the framework's, through the authentication handler.
/// </summary>
public sealed class AuthorizationProblems : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        var failed = result.AuthorizationFailure?.FailedRequirements.ToList();
        if (result.Forbidden && failed is { Count: > 0 } && failed.All(r => r is AccountInRoute))
            return Problems.Write(context, ProblemTypes.KeyBoundToAccount,
                $"This API key is bound to one account; {context.Request.Method} {(context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText} reaches across accounts.");
        return _default.HandleAsync(next, context, policy, result);
    }
}
