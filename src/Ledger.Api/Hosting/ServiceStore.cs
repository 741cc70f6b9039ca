using Ledger.Api.Auth;
using Ledger.Api.Idempotency;
using Ledger.Projections;
using Marten;

namespace Ledger.Api.Hosting;

/// <summary>The service's Marten store, for the service (through its container) and the command line (without one).</summary>
public static class ServiceStore
{
    /// <summary>The ledger's events and views, and the service's own documents. Stripe's documents: <c>StripeSetup.ConfigureDocuments</c>.</summary>
    public static StoreOptions Configure(StoreOptions options, string database, TimeProvider clock)
    {
        LedgerStore.Configure(options, database);
        options.Events.TimeProvider = clock;
        options.Schema.For<ApiKey>().Index(k => k.SecretHash, i => i.IsUnique = true);
        options.Schema.For<IdempotencyRecord>();
        options.Schema.For<Webhooks.WebhookDelivery>().Index(d => d.Status).Index(d => d.Type).Index(d => d.AccountId);
        return options;
    }

    /// <summary>The connection string as it may be shown: host, port, database and user, never the password.</summary>
    public static string Describe(string database)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(database);
        return $"Host={builder.Host};Port={builder.Port};Database={builder.Database};Username={builder.Username}";
    }
}
