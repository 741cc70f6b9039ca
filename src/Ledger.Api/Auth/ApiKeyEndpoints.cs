using FluentValidation;
using Ledger.Api.Http;
using Ledger.Api.Idempotency;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Ledger.Api.Auth;

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes, string? AccountId)
{
    public sealed class Validator : AbstractValidator<CreateApiKeyRequest>
    {
        public Validator()
        {
            RuleFor(x => x.Name).NotEmpty().WithMessage("Required.").ValidText(100);
            RuleFor(x => x.Scopes).NotEmpty().WithMessage("At least one scope.")
                .Must(s => s is null || s.All(Auth.Scopes.All.Contains))
                .WithMessage($"Scopes are {string.Join(", ", Auth.Scopes.All)}.");
            RuleFor(x => x.AccountId).ValidId().When(x => x.AccountId is not null);
        }
    }
}

public sealed record ApiKeyView(
    string Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string? AccountId,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyView From(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.Scopes, k.AccountId, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}

/// <summary>The only response that ever carries the secret.</summary>
public sealed record CreatedApiKey(
    string Id, string Name, string Prefix, IReadOnlyList<string> Scopes, string? AccountId, DateTimeOffset CreatedAt, string Secret);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyView> Items);

/// <summary>Keys are managed by unbound admin keys only: a bound key could mint unbound ones (<see cref="AccountInRoute"/> refuses it).</summary>
public static class ApiKeyEndpoints
{
    [WolverinePost("/v1/admin/api-keys")]
    [Authorize(Policy = Auth.Scopes.Admin)]
    [Tags("API keys")]
    [EndpointSummary("Create an API key; its secret is shown in this response only")]
    [EndpointDescription("Creates a key with the given scopes (`ledger:read`, `ledger:write`, `admin`), optionally bound to one account (it then sees only that account). The secret (`lk_live_...`) is in this response only; Ledger stores its hash.")]
    [ProducesResponseType<CreatedApiKey>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, Problems.ContentType)]
    public static async Task<IResult> Create(
        CreateApiKeyRequest? body, HttpContext http, IDocumentStore store, IValidator<CreateApiKeyRequest> validator,
        TimeProvider clock, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        if (Validation.Check(body, validator) is { } invalid) return invalid;
        var now = clock.GetUtcNow();
        var secret = ApiKey.NewSecret();
        var key = ApiKey.Create(body!.Name!, body.Scopes!.Distinct().ToList(), body.AccountId, secret, now);
        var reply = new HttpReply(201, System.Text.Json.JsonSerializer.Serialize(
            new CreatedApiKey(key.Id, key.Name, key.Prefix, key.Scopes, key.AccountId, key.CreatedAt, secret), json.Value.SerializerOptions));

        await using var session = store.LightweightSession();
        session.Insert(key);
        var idempotency = http.Features.Get<IdempotencyScope>();
        idempotency?.Save(session, reply, now);
        try
        {
            await session.SaveChangesAsync(http.RequestAborted);
        }
        catch (JasperFx.DocumentAlreadyExistsException) when (idempotency is not null)
        {
            // Another process won the race for this Idempotency-Key: answer what it stored.
            await using var query = store.QuerySession();
            var stored = await query.LoadAsync<IdempotencyRecord>(idempotency.Id, http.RequestAborted);
            if (stored is null) throw;
            return new ReplayResult(stored, idempotency.Fingerprint);
        }
        return reply.ToResult();
    }

    [WolverineGet("/v1/admin/api-keys")]
    [Authorize(Policy = Auth.Scopes.Admin)]
    [Tags("API keys")]
    [EndpointSummary("List API keys (never their secrets)")]
    [EndpointDescription("Every key with its name, prefix, scopes, bound account, creation, last use and revocation. Secrets are never shown again.")]
    [ProducesResponseType<ApiKeyList>(StatusCodes.Status200OK)]
    public static async Task<IResult> List(IQuerySession session, HttpContext http)
    {
        var keys = await session.Query<ApiKey>().OrderBy(k => k.CreatedAt).Take(1000).ToListAsync(http.RequestAborted);
        return Results.Ok(new ApiKeyList(keys.Select(ApiKeyView.From).ToList()));
    }

    [WolverineDelete("/v1/admin/api-keys/{keyId}")]
    [Authorize(Policy = Auth.Scopes.Admin)]
    [Tags("API keys")]
    [EndpointSummary("Revoke an API key, effective immediately")]
    [EndpointDescription("Marks the key revoked: every later request with it answers 401 `api-key-invalid` (reason `revoked`). Revoking is final; create a new key instead.")]
    [ProducesResponseType<ApiKeyView>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, Problems.ContentType)]
    public static async Task<IResult> Revoke(string keyId, IDocumentStore store, ApiKeyCache keys, TimeProvider clock, HttpContext http)
    {
        await using var session = store.LightweightSession();
        var key = await session.LoadAsync<ApiKey>(keyId, http.RequestAborted);
        if (key is null) return Problems.Result(ProblemTypes.ApiKeyNotFound, $"API key '{keyId}' does not exist.");
        if (!key.IsRevoked)
        {
            key = key with { RevokedAt = clock.GetUtcNow() };
            session.Store(key);
            await session.SaveChangesAsync(http.RequestAborted);
            keys.Forget(key.SecretHash);
        }
        return Results.Ok(ApiKeyView.From(key));
    }

    private sealed class ReplayResult(IdempotencyRecord record, string fingerprint) : IResult
    {
        public Task ExecuteAsync(HttpContext context) => IdempotencyMiddleware.Replay(context, record, fingerprint);
    }
}
