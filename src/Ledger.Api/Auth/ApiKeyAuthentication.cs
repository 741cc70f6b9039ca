using System.Security.Claims;
using System.Text.Encodings.Web;
using Ledger.Api.Http;
using Marten;
using Marten.Patching;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Ledger.Api.Auth;

/// <summary>
/// Bearer API keys, found by the hash of the presented secret (<see cref="ApiKeyCache"/>: read at most once a second, so
/// a revoke takes effect on every node within a second).
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyCache keys, TimeProvider clock, LastUsedTracker lastUsed)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    public const string AccountClaim = "account";
    public const string KeyIdClaim = "key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 512)
            return AuthenticateResult.Fail(new ApiKeyRejected("malformed", "Authorization must be 'Bearer <api key>'."));

        var secret = header["Bearer ".Length..].Trim();
        var hash = ApiKey.Hash(secret);
        var key = await keys.Find(hash, Context.RequestAborted);
        if (key is null || !key.Matches(secret)) return AuthenticateResult.Fail(new ApiKeyRejected("unknown", "Unknown API key: no key has this secret (check it for typos or truncation)."));
        if (key.IsRevoked) return AuthenticateResult.Fail(new ApiKeyRejected("revoked", $"The API key {key.Prefix}... was revoked."));

        await lastUsed.Touch(key.Id, clock.GetUtcNow(), Context.RequestAborted);
        var claims = new List<Claim> { new(KeyIdClaim, key.Id), new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Scopes.Select(s => new Claim(ScopeClaim, s)));
        if (key.AccountId is not null) claims.Add(new Claim(AccountClaim, key.AccountId));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    /// <summary>401: <c>api-key-missing</c> without an Authorization header, else <c>api-key-invalid</c> with its reason.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        // the result of this request's authentication, cached by the handler: no second lookup
        await ((await HandleAuthenticateOnceSafeAsync()).Failure is ApiKeyRejected rejected
            ? Problems.Write(Context, ProblemTypes.ApiKeyInvalid, rejected.Message, new Dictionary<string, object?> { ["reason"] = rejected.Reason })
            : Problems.Write(Context, ProblemTypes.ApiKeyMissing, "No API key: send 'Authorization: Bearer <api key>'."));
    }

    /// <summary>403 naming the scope the endpoint's policy requires (every policy is named after its scope) and the key's.</summary>
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var required = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Select(a => a.Policy).LastOrDefault(p => p is not null && Scopes.All.Contains(p));
        var held = Context.User.FindAll(ScopeClaim).Select(c => c.Value).ToArray();
        var detail = required is null
            ? "This API key does not have the scope this operation needs."
            : $"This operation needs the {required} scope{(required == Scopes.Admin ? "" : " (or admin)")}; this key has {(held.Length == 0 ? "none" : string.Join(", ", held))}.";
        return Problems.Write(Context, ProblemTypes.Forbidden, detail,
            new Dictionary<string, object?> { ["requiredScope"] = required, ["keyScopes"] = held });
    }
}

/// <summary>Why a presented key was refused: <c>malformed</c>, <c>unknown</c> or <c>revoked</c>.</summary>
public sealed class ApiKeyRejected(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>Records when a key was last used, at most once a minute per key and process, without touching its other fields.</summary>
public sealed class LastUsedTracker(IDocumentStore store)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _written = new();

    public async Task Touch(string keyId, DateTimeOffset now, CancellationToken ct)
    {
        if (_written.TryGetValue(keyId, out var last) && now - last < TimeSpan.FromMinutes(1)) return;
        _written[keyId] = now;
        await using var session = store.LightweightSession();
        session.Patch<ApiKey>(keyId).Set(k => k.LastUsedAt, now);
        await session.SaveChangesAsync(ct);
    }
}

/// <summary>The authenticated caller: which key, which scopes, and the one account it may be bound to.</summary>
public static class Caller
{
    public static string KeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthentication.KeyIdClaim) ?? "anonymous";

    public static bool Has(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ApiKeyAuthentication.ScopeClaim, scope) || user.HasClaim(ApiKeyAuthentication.ScopeClaim, Scopes.Admin);

    /// <summary>A key bound to one account sees only that account; any other answers 404, as if it did not exist.</summary>
    public static bool CanSee(this ClaimsPrincipal user, string accountId) =>
        user.FindFirstValue(ApiKeyAuthentication.AccountClaim) is not { } bound || bound == accountId;
}
