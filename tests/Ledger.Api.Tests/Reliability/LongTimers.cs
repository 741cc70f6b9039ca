using JasperFx.Events;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Credits;
using Ledger.Domain.Accounts;
using Marten;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// The bank test's long timers (issue 13 item 2): <see cref="RenewalAccount"/> and <see cref="GraceAccount"/> were opened a
/// month before <see cref="Renewal"/>, and grace started on the second <see cref="GraceDays"/> days before
/// <see cref="GraceEnd"/>; nothing but their timers writes to them during the run.
/// </summary>
public sealed record LongTimers(DateTimeOffset Renewal, DateTimeOffset GraceEnd)
{
    public const string Plan = "starter";
    public const int GraceDays = 14; // starter's (the default)
    public const string RenewalAccount = "bank-renewal";
    public const string GraceAccount = "bank-grace";
    public static readonly string[] Accounts = [RenewalAccount, GraceAccount];

    /// <summary>
    /// Waits until both accounts renewed and the grace account was suspended, then proves each timer fired exactly once,
    /// by the timer (actor <c>system:timer</c>), dated when it fell due: one new period per account (its allowance, or none
    /// in grace), one suspension at grace end; the stored views equal a replay.
    /// </summary>
    public static async Task<string> CheckAsync(string database, LongTimers timers, int seed)
    {
        var ct = TestContext.Current.CancellationToken;
        Npgsql.NpgsqlConnection.ClearAllPools();
        using var store = new DocumentStore(ServiceStore.Configure(new StoreOptions(), database, TimeProvider.System));
        var streams = await Eventually.Until(async () =>
        {
            await using var session = store.QuerySession();
            var read = new Dictionary<string, IReadOnlyList<IEvent>>();
            foreach (var account in Accounts) read[account] = await session.Events.FetchStreamAsync(account, token: ct);
            var renewed = Accounts.All(a => read[a].Any(e => e.Data is PeriodStarted p && p.PeriodStart == timers.Renewal));
            return renewed && read[GraceAccount].Any(e => e.Data is AccountSuspended) ? read : null;
        }, TimeSpan.FromSeconds(120), () => $"seed {seed}: a period renewal due at {timers.Renewal:O} or the grace end due at {timers.GraceEnd:O} never fired");

        var failures = new List<string>();
        void Require(bool condition, string what) { if (!condition) failures.Add(what); }
        static string? Actor(IEvent e) => e.Headers is { } h && h.TryGetValue("actor", out var a) ? a?.ToString() : null;
        foreach (var (account, events) in streams)
        {
            var renewals = events.Where(e => e.Data is PeriodStarted p && p.PeriodStart == timers.Renewal).ToList();
            Require(renewals.Count == 1, $"{account}: {renewals.Count} periods started at {timers.Renewal:O}");
            Require(renewals.All(e => Actor(e) == "system:timer"), $"{account}: the renewal was written by {string.Join(",", renewals.Select(Actor))}");
            // a period that begins in grace withholds its allowance (until payment)
            var expected = account == GraceAccount ? 0 : 1;
            var allowances = events.Count(e => e.Data is CreditsGranted { Source: GrantSource.Plan } g && g.GrantedAt == timers.Renewal);
            Require(allowances == expected, $"{account}: {allowances} allowances granted for the period starting {timers.Renewal:O}, {expected} expected");
            Require(events.Count(e => e.Data is CreditsGranted { Source: GrantSource.Plan }) == 1 + expected, $"{account}: plan grants other than the periods'");
            Account? replay = null;
            foreach (var e in events) replay = Ledger.Projections.Accounts.AccountProjection.Fold(replay, e);
            await using var session = store.QuerySession();
            var stored = await session.LoadAsync<Account>(account, ct);
            Require(stored is not null && store.Options.Serializer().ToJson(stored) == store.Options.Serializer().ToJson(replay!),
                $"{account}: the stored view differs from the replay");
        }
        var grace = streams[GraceAccount];
        var suspensions = grace.Where(e => e.Data is AccountSuspended).ToList();
        Require(suspensions.Count == 1, $"{GraceAccount}: {suspensions.Count} suspensions");
        Require(!grace.Any(e => e.Data is GraceEnded), $"{GraceAccount}: grace ended as if paid"); // (an unpaid grace ends in suspension)
        Require(suspensions.All(e => ((AccountSuspended)e.Data).SuspendedAt == timers.GraceEnd && Actor(e) == "system:timer"),
            $"{GraceAccount}: suspended at {string.Join(",", suspensions.Select(e => $"{((AccountSuspended)e.Data).SuspendedAt:O} by {Actor(e)}"))}, due {timers.GraceEnd:O}");
        Assert.True(failures.Count == 0, $"bank test seed {seed} (rerun with LEDGER_BANK_SEED={seed}), long timers:\n" + string.Join("\n", failures));
        return "a month's renewal on 2 accounts and a 14-day grace end each fired once, by the timer";
    }
}
