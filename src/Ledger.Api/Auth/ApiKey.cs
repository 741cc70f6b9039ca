using System.Security.Cryptography;
using System.Text;

namespace Ledger.Api.Auth;

/// <summary>An API key as stored: only the SHA-256 of its secret is kept; the secret is shown once.</summary>
public sealed record ApiKey(
    string Id,
    string Name,
    string Prefix,
    string SecretHash,
    IReadOnlyList<string> Scopes,
    string? AccountId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt = null,
    DateTimeOffset? RevokedAt = null)
{
    public const string SecretPrefix = "lk_live_";

    public bool IsRevoked => RevokedAt is not null;

    /// <summary>
    /// 32 random bytes, base64url: a secret this strong needs no slow hash (as GitHub and Stripe
    /// tokens), so lookup by hash stays one indexed query per request.
    /// </summary>
    public static string NewSecret() =>
        SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// Whether <paramref name="secret"/> is this key's, comparing the hashes in constant time (a key found by its
    /// hash is confirmed this way too, so no code path compares a secret's hash with a timing that depends on it).
    /// </summary>
    public bool Matches(string secret) =>
        SecretHash.Length == 64 && CryptographicOperations.FixedTimeEquals(Convert.FromHexString(SecretHash), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static string NewId() => "key_" + Guid.CreateVersion7().ToString("N");

    public static string PrefixOf(string secret) => secret.Length <= 12 ? secret : secret[..12];

    public static ApiKey Create(string name, IReadOnlyList<string> scopes, string? accountId, string secret, DateTimeOffset now, string? id = null) =>
        new(id ?? NewId(), name, PrefixOf(secret), Hash(secret), scopes, accountId, now);
}

public static class Scopes
{
    public const string Read = "ledger:read";
    public const string Write = "ledger:write";
    public const string Admin = "admin";

    public static readonly string[] All = [Read, Write, Admin];
}
