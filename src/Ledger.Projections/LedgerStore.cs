using System.Linq.Expressions;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.Domain.Refunds;
using Ledger.Domain.Reservations;
using Ledger.Domain.Usage;
using Ledger.Projections.Accounts;
using Ledger.Projections.Metrics;
using Marten;
using Weasel.Core;

namespace Ledger.Projections;

/// <summary>Everything Marten must know about the ledger's events and views, shared by the service, the CLI and tests.</summary>
public static class LedgerStore
{
    public const string Schema = "ledger";

    public static void Configure(StoreOptions options, string connectionString)
    {
        options.Connection(Tuned(connectionString));
        options.DatabaseSchemaName = Schema;
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        options.Events.StreamIdentity = StreamIdentity.AsString;
        options.Events.MetadataConfig.EnableAll();
        options.Events.AddEventTypes(AccountEvents.All);

        options.Projections.Add<AccountProjection>(ProjectionLifecycle.Inline);
        // the projection stores a snapshot every AccountSnapshot.Every events as a side effect, in the same transaction (ADR 40)
        options.Events.EnableSideEffectsOnInlineProjections = true;
        options.Schema.For<AccountSnapshot>().Identity(x => x.Id)
            .Index(new Expression<Func<AccountSnapshot, object>>[] { x => x.AccountId, x => x.Version });
        // Cross-account views for the admin metrics: async (marten#3488), run by the service's HotCold daemon (ADR 65).
        options.Projections.Add<LedgerDayProjection>(ProjectionLifecycle.Async);
        options.Projections.Add<AccountStandingProjection>(ProjectionLifecycle.Async);
        options.Schema.For<AccountStanding>().Index(x => x.Plan).Index(x => x.Status);

        // Records are written by the account's serialized command path in the same transaction as
        // the events they derive from (not inline multi-stream projections: marten#3488).
        // The lists (newest first, keyset-paged: Ledger.Api.Http.Keyset) walk (account, instant, id) indexes.
        options.Schema.For<ReservationRecord>().Identity(x => x.Id).Index(x => x.AccountId)
            .Index(new Expression<Func<ReservationRecord, object>>[] { x => x.AccountId, x => x.ReservedAt, x => x.Id });
        options.Schema.For<UsageRecord>().Identity(x => x.Id).Index(x => x.AccountId)
            .Index(new Expression<Func<UsageRecord, object>>[] { x => x.AccountId, x => x.RecordedAt, x => x.Id });
        options.Schema.For<RefundRecord>().Identity(x => x.Id).Index(x => x.AccountId)
            .Index(new Expression<Func<RefundRecord, object>>[] { x => x.AccountId, x => x.RefundedAt, x => x.Id });
        options.Schema.For<Account>().Index(new Expression<Func<Account, object>>[] { x => x.OpenedAt, x => x.Id });
    }

    /// <summary>
    /// The connection string as the write path wants it, unless the operator set these: no <c>DISCARD ALL</c> when a
    /// pooled connection is returned (the service sets no session state; it saves a round trip per use), and
    /// statements the service repeats prepared on the server after two uses.
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connectionString.Contains("Auto Prepare Min Usages", StringComparison.OrdinalIgnoreCase)) builder.AutoPrepareMinUsages = 2;
        return builder.ConnectionString;
    }
}
