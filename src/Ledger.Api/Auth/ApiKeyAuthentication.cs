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
            return AuthenticateResult.Fail("Authorization must be 'Bearer <api key>'.");

        var secret = header["Bearer ".Length..].Trim();
        var hash = ApiKey.Hash(secret);
        var key = await keys.Find(hash, Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("Unknown API key.");
        if (key.IsRevoked) return AuthenticateResult.Fail("The API key was revoked.");

        await lastUsed.Touch(key.Id, clock.GetUtcNow(), Context.RequestAborted);
        var claims = new List<Claim> { new(KeyIdClaim, key.Id), new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Scopes.Select(s => new Claim(ScopeClaim, s)));
        if (key.AccountId is not null) claims.Add(new Claim(AccountClaim, key.AccountId));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var reason = Context.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult?.Failure?.Message
            ?? "Send 'Authorization: Bearer <api key>'.";
        return Problems.Write(Context, "unauthorized", reason);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, "forbidden", "This API key does not have the scope this operation needs.");
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
