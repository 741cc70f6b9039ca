namespace Ledger.Api.Hosting;

/// <summary>
/// The service's settings, read from the environment (<c>LEDGER_DATABASE</c> ...) or from
/// configuration under <c>Ledger:</c> with the same names.
/// </summary>
public sealed record LedgerSettings(
    string? Database,
    string? BootstrapAdminKey,
    string? StripeWebhookSecret,
    string? StripeApiKey,
    string? StripeApiBase,
    string? PlansPath,
    string? OperatorWebhookUrl,
    string? OperatorWebhookSecret)
{
    public static LedgerSettings From(IConfiguration configuration)
    {
        string? Read(string name) =>
            NullIfBlank(configuration[name]) ?? NullIfBlank(configuration[$"Ledger:{name}"]);

        return new LedgerSettings(
            Read("LEDGER_DATABASE"),
            Read("LEDGER_BOOTSTRAP_ADMIN_KEY"),
            Read("LEDGER_STRIPE_WEBHOOK_SECRET"),
            Read("LEDGER_STRIPE_API_KEY"),
            Read("LEDGER_STRIPE_API_BASE"),
            Read("LEDGER_PLANS"),
            Read("LEDGER_OPERATOR_WEBHOOK_URL"),
            Read("LEDGER_OPERATOR_WEBHOOK_SECRET"));
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
