using System.Net.Http.Json;
using JasperFx.Events;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Credits;
using Ledger.Domain.Accounts;
using Marten;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// The bank test's long timers (issue 13 item 2), a period renewal and a grace end due under the faults, set through the
/// processes' own API (docs/adr/0066): <see cref="RenewalAccount"/> is opened with a billing cycle anchor at
/// <see cref="Renewal"/>; <see cref="GraceAccount"/> with one at <see cref="GraceRenewal"/>, then put in grace until
/// <see cref="GraceEnd"/> (a period that begins in grace withholds its allowance). Nothing but their timers writes to them
/// after that.
/// </summary>
public sealed record LongTimers(DateTimeOffset Renewal, DateTimeOffset GraceRenewal, DateTimeOffset GraceEnd)
{
    public const string Plan = "starter";
    public const string RenewalAccount = "bank-renewal";
    public const string GraceAccount = "bank-grace";

    /// <summary>Sets the timers to fall due at the given fractions of the load that starts at <paramref name="loadStart"/>.</summary>
    public static async Task<LongTimers> SetAsync(HttpClient admin, DateTimeOffset loadStart, int seconds, CancellationToken ct)
    {
        DateTimeOffset At(double fraction) => loadStart.AddSeconds(seconds * fraction);
        var timers = new LongTimers(At(0.35), At(0.5), At(0.65));
        (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = RenewalAccount, plan = Plan, billingCycleAnchor = timers.Renewal }, ct))
            .EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = GraceAccount, plan = Plan, billingCycleAnchor = timers.GraceRenewal }, ct))
            .EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync($"/v1/accounts/{GraceAccount}/grace", new { reason = "bank test: payment failed", endsAt = timers.GraceEnd }, ct))
            .EnsureSuccessStatusCode();
        return timers;
    }

    /// <summary>
    /// Waits until both accounts renewed and the grace account was suspended, then proves each timer fired exactly once,
    /// by the timer (actor <c>system:timer</c>), dated when it fell due: one new period per account (its allowance, or none
    /// in grace), one suspension at grace end; the stored views equal a replay.
    /// </summary>
    public async Task<string> CheckAsync(string database, int seed)
    {
        var ct = TestContext.Current.CancellationToken;
        var renewals = new Dictionary<string, DateTimeOffset> { [RenewalAccount] = Renewal, [GraceAccount] = GraceRenewal };
        Npgsql.NpgsqlConnection.ClearAllPools();
        using var store = new DocumentStore(ServiceStore.Configure(new StoreOptions(), database, TimeProvider.System));
        var streams = await Eventually.Until(async () =>
        {
            await using var session = store.QuerySession();
            var read = new Dictionary<string, IReadOnlyList<IEvent>>();
            foreach (var account in renewals.Keys) read[account] = await session.Events.FetchStreamAsync(account, token: ct);
            var renewed = renewals.All(r => read[r.Key].Any(e => e.Data is PeriodStarted p && p.PeriodStart == r.Value));
            return renewed && read[GraceAccount].Any(e => e.Data is AccountSuspended) ? read : null;
        }, TimeSpan.FromSeconds(120), () => $"seed {seed}: a period renewal due at {Renewal:O} or {GraceRenewal:O}, or the grace end due at {GraceEnd:O}, never fired");

        var failures = new List<string>();
        void Require(bool condition, string what) { if (!condition) failures.Add(what); }
        static string? Actor(IEvent e) => e.Headers is { } h && h.TryGetValue("actor", out var a) ? a?.ToString() : null;
        foreach (var (account, events) in streams)
        {
            var due = renewals[account];
            var started = events.Where(e => e.Data is PeriodStarted p && p.PeriodStart == due).ToList();
            Require(started.Count == 1, $"{account}: {started.Count} periods started at {due:O}");
            Require(started.All(e => Actor(e) == "system:timer" && ((PeriodStarted)e.Data).StartedAt == due),
                $"{account}: the renewal was written by {string.Join(",", started.Select(Actor))}, dated {string.Join(",", started.Select(e => ((PeriodStarted)e.Data).StartedAt))}");
            // a period that begins in grace withholds its allowance (until payment)
            var expected = account == GraceAccount ? 0 : 1;
            var allowances = events.Count(e => e.Data is CreditsGranted { Source: GrantSource.Plan } g && g.GrantedAt == due);
            Require(allowances == expected, $"{account}: {allowances} allowances granted for the period starting {due:O}, {expected} expected");
            // (the first period's, prorated: none for a few seconds of a month)
            var opened = events.Select(e => e.Data).OfType<AccountOpened>().Single().OpenedAt;
            Require(events.Select(e => e.Data).OfType<CreditsGranted>().Where(g => g.Source == GrantSource.Plan).All(g => g.GrantedAt == opened || g.GrantedAt == due),
                $"{account}: plan grants other than the periods'");
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
        Require(suspensions.All(e => ((AccountSuspended)e.Data).SuspendedAt == GraceEnd && Actor(e) == "system:timer"),
            $"{GraceAccount}: suspended at {string.Join(",", suspensions.Select(e => $"{((AccountSuspended)e.Data).SuspendedAt:O} by {Actor(e)}"))}, due {GraceEnd:O}");
        Assert.True(failures.Count == 0, $"bank test seed {seed} (rerun with LEDGER_BANK_SEED={seed}), long timers:\n" + string.Join("\n", failures));
        return "2 period renewals (at billing cycle anchors, one in grace) and a grace end each fired once, by the timer";
    }
}
