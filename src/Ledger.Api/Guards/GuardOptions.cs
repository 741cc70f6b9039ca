namespace Ledger.Api.Guards;

/// <summary>
/// The abuse guards' knobs (ADR 8). The per-account request limit itself comes from the account's plan
/// (<c>requestsPerMinute</c> in the plans file); only the switch <c>LEDGER_RATE_LIMITS</c> is read from the
/// environment or configuration (<c>Ledger:LEDGER_RATE_LIMITS</c>): <c>plan</c> (default) or <c>off</c>.
/// </summary>
public sealed class GuardOptions
{
    public const string RateLimitsSetting = "LEDGER_RATE_LIMITS";

    /// <summary>Whether requests per minute per account are enforced (<c>LEDGER_RATE_LIMITS=off</c> turns them off).</summary>
    public bool AccountRateLimits { get; set; } = true;

    /// <summary>
    /// The length of every guard window: plans give requests per <em>minute</em>. Windows are aligned to the clock
    /// (each minute from :00 to :59).
    /// </summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>How long an account's plan (its request limit) is remembered before it is read again.</summary>
    public TimeSpan PlanCacheFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long "no such account" is remembered (short, so a newly opened account is limited soon).</summary>
    public TimeSpan UnknownAccountCacheFor { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>At most this many accounts' plans are cached at once.</summary>
    public int MaxCachedAccounts { get; set; } = 100_000;

    /// <summary>Failed authentications allowed from one client address per window; the next ones answer 429.</summary>
    public int FailedAuthenticationsPerWindow { get; set; } = 10;

    /// <summary>At most this many client addresses are tracked for failed authentication at once.</summary>
    public int MaxTrackedClients { get; set; } = 10_000;

    public static bool ReadRateLimitsSwitch(IConfiguration configuration)
    {
        var value = configuration[RateLimitsSetting] ?? configuration[$"Ledger:{RateLimitsSetting}"];
        if (string.IsNullOrWhiteSpace(value)) return true;
        return value.Trim().ToLowerInvariant() switch
        {
            "off" or "false" or "0" or "none" or "disabled" => false,
            "plan" or "on" or "true" or "1" => true,
            _ => throw new InvalidOperationException(
                $"{RateLimitsSetting} must be 'plan' (limits from each account's plan) or 'off', not '{value}'."),
        };
    }
}
