using Ledger.Api.Writes;
using Ledger.Api.Accounts;
using Ledger.Api.Hosting;
using Ledger.Domain.Accounts;
using Marten;
using Stripe;

using Account = Ledger.Domain.Accounts.Account;

namespace Ledger.Api.Stripe;

/// <summary>
/// Stripe settings: <c>LEDGER_STRIPE_WEBHOOK_SECRET</c> (one secret, or several separated by commas while
/// rotating), <c>LEDGER_STRIPE_API_KEY</c>, <c>LEDGER_STRIPE_API_BASE</c> (tests point it at a local stand-in),
/// <c>LEDGER_STRIPE_METER_EVENT</c> (the meter's event name for overage, default <c>ledger_overage</c>) and
/// <c>LEDGER_STRIPE_CANCELED_PLAN</c> (the plan a canceled subscription falls back to, default <c>free</c>) and
/// <c>LEDGER_STRIPE_RECHECK_SECONDS</c> (how long after parking an event for its purchase it looks again, default 10).
/// </summary>
public sealed record StripeOptions(
    IReadOnlyList<string> WebhookSecrets,
    string? ApiKey,
    string ApiBase,
    string MeterEventName,
    string CanceledPlan,
    TimeSpan ParkedRecheckDelay)
{
    public const long ToleranceSeconds = 300;

    public static StripeOptions From(IConfiguration configuration, LedgerSettings settings)
    {
        string? Read(string name) =>
            configuration[name] is { Length: > 0 } v ? v : configuration[$"Ledger:{name}"] is { Length: > 0 } w ? w : null;
        var secrets = (settings.StripeWebhookSecret ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new StripeOptions(
            secrets,
            settings.StripeApiKey,
            (settings.StripeApiBase ?? StripeClient.DefaultApiBase).TrimEnd('/'),
            Read("LEDGER_STRIPE_METER_EVENT") ?? "ledger_overage",
            Read("LEDGER_STRIPE_CANCELED_PLAN") ?? "free",
            TimeSpan.FromSeconds(int.TryParse(Read("LEDGER_STRIPE_RECHECK_SECONDS"), out var s) && s is > 0 and <= 3600 ? s : 10));
    }
}

public static class StripeSetup
{
    public static IServiceCollection AddLedgerStripe(this IServiceCollection services, IConfiguration configuration, LedgerSettings settings)
    {
        services.AddSingleton(StripeOptions.From(configuration, settings));
        services.AddSingleton<StripeGateway>();
        services.AddSingleton<StripeEventMapper>();
        services.AddSingleton<StripeEvents>();
        services.AddSingleton<IAccountOutboxSource, OverageMeter>();
        services.ConfigureMarten(ConfigureDocuments);
        return services;
    }

    /// <summary>The Stripe documents and their indexes (also for the command line's store, which has no container).</summary>
    public static void ConfigureDocuments(StoreOptions options)
    {
        options.Schema.For<StripeEventRecord>()
            .Index(x => x.Status).Index(x => x.WaitingFor).Index(x => x.AccountId)
            .Index(x => x.PaymentKey).Index(x => x.StripeCreatedAt);
        options.Schema.For<StripeEventClaim>();
        options.Schema.For<StripeMilestone>().Index(x => x.AccountId);
        options.Schema.For<StripeCustomerLink>().Index(x => x.AccountId);
        options.Schema.For<StripeAccountState>();
        options.Schema.For<StripeCheckoutSession>().Index(x => x.AccountId);
        options.Schema.For<StripeMeterReport>().Index(x => x.AccountId);
        // Events name a Stripe customer; accounts opened with one are found by it.
        options.Schema.For<Account>().Index(x => x.StripeCustomerId);
    }
}

/// <summary>Stripe.net clients for the configured API key and base.</summary>
public sealed class StripeGateway(StripeOptions options)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly Lazy<StripeClient?> _interactive = new(() => Create(options, maxNetworkRetries: 2));
    private readonly Lazy<StripeClient?> _outbox = new(() => Create(options, maxNetworkRetries: 0));

    public bool IsConfigured => options.ApiKey is not null;

    /// <summary>For calls a caller waits on (checkout sessions): Stripe.net retries transient failures itself, with the same idempotency key.</summary>
    public StripeClient Interactive => _interactive.Value ?? throw new StripeNotConfigured();

    /// <summary>For outbox messages: no retries inside Stripe.net, Wolverine's retry policy owns them (durable, with backoff).</summary>
    public StripeClient Outbox => _outbox.Value ?? throw new StripeNotConfigured();

    private static StripeClient? Create(StripeOptions options, int maxNetworkRetries) =>
        options.ApiKey is null
            ? null
            : new StripeClient(options.ApiKey, httpClient: new SystemNetHttpClient(Http, maxNetworkRetries), apiBase: options.ApiBase);
}

public sealed class StripeNotConfigured() : Exception("LEDGER_STRIPE_API_KEY is not set: Stripe cannot be called.");
