using System.Globalization;
using System.Text.Json;
using JasperFx.Events;
using Ledger.Api.Plans;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Accounts;
using Ledger.Projections.Accounts;
using Ledger.Projections.ReadModel;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Rebuilds;

/// <summary>
/// Point-in-time reads on a long stream (issue 12 item 4): each answer equals a replay of the stream truncated at that
/// instant or version (folded from the first event, without snapshots), and is computed from the nearest snapshot: the
/// service says how many events it replayed (<c>Ledger-Replayed-Events</c>), fewer than the snapshot interval.
/// Statements and usage series over days of that stream add up to the test's own sums and read the same without snapshots.
/// </summary>
public sealed class PointInTimeTests(LongStreamApp fixture) : IClassFixture<LongStreamApp>
{
    private const string Account = LongStreamApp.Account;
    private static readonly string[] Sums = ["granted", "consumed", "expired", "voided", "refunded", "reserved", "available", "overage", "upcoming", "frozen"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient Admin { get; } = fixture.App.Admin();

    private async Task<IReadOnlyList<IEvent>> Stream()
    {
        await using var session = fixture.App.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Events.FetchStreamAsync(Account, token: Ct);
    }

    /// <summary>The replay the answer must equal: the events up to <paramref name="last"/>, folded from the first one.</summary>
    private AccountReading Replay(IReadOnlyList<IEvent> stream, long last, DateTimeOffset at)
    {
        Ledger.Domain.Accounts.Account? state = null;
        foreach (var e in stream.TakeWhile(e => e.Version <= last)) state = Ledger.Domain.Accounts.Account.Evolve(state, e.Data) is { } next ? next with { Version = e.Version } : null;
        return fixture.App.Services.GetRequiredService<PlanCatalog>().Read(state!, at);
    }

    private static long Replayed(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("Ledger-Replayed-Events").Single(), CultureInfo.InvariantCulture);

    private static void ShouldMatch(JsonElement balance, AccountReading expected, string what)
    {
        var sums = expected.Balance;
        var want = new Dictionary<string, long>
        {
            ["granted"] = sums.Granted, ["consumed"] = sums.Consumed, ["expired"] = sums.Expired, ["voided"] = sums.Voided,
            ["refunded"] = sums.Refunded, ["reserved"] = sums.Reserved, ["available"] = sums.Available, ["overage"] = sums.Overage,
            ["upcoming"] = sums.Upcoming, ["frozen"] = sums.Frozen,
        };
        foreach (var sum in Sums) balance.GetProperty(sum).GetInt64().ShouldBe(want[sum], $"{sum} {what}");
        balance.GetProperty("version").GetInt64().ShouldBe(expected.State.Version, what);
    }

    [Fact]
    public async Task The_stream_holds_a_snapshot_per_thousand_events_each_equal_to_the_replay_at_its_version()
    {
        var stream = await Stream();
        stream.Count.ShouldBeGreaterThan(2 * (int)AccountSnapshot.Every);
        // ADR 12: what happened by an instant is a prefix of the stream
        var backwards = stream.Zip(stream.Skip(1)).Where(p => AccountTimeline.InstantOf(p.Second) < AccountTimeline.InstantOf(p.First))
            .Select(p => $"v{p.Second.Version} {p.Second.EventTypeName} at {AccountTimeline.InstantOf(p.Second):O} after v{p.First.Version} {p.First.EventTypeName} at {AccountTimeline.InstantOf(p.First):O}");
        backwards.ShouldBeEmpty();
        await using var session = fixture.App.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var snapshots = await session.Query<AccountSnapshot>().Where(s => s.AccountId == Account).ToListAsync(Ct);
        snapshots.Select(s => AccountSnapshot.BucketOf(s.Version)).Order().ShouldBe(Enumerable.Range(1, stream.Count / (int)AccountSnapshot.Every).Select(b => (long)b));
        foreach (var snapshot in snapshots)
        {
            var replay = Replay(stream, snapshot.Version, snapshot.Instant);
            Balance.Sum(snapshot.State, snapshot.Instant).ShouldBe(replay.Balance, $"snapshot at v{snapshot.Version}");
            snapshot.Instant.ShouldBe(AccountTimeline.InstantOf(stream[(int)snapshot.Version - 1]));
        }
    }

    /// <summary>
    /// Among the instants: the instants of writes, some of them a snapshot's own (a prefix ends exactly there). Found by
    /// this test: PostgreSQL compared a snapshot's instant rounded to microseconds, so a snapshot taken at the instant asked
    /// for could count as after it and the answer ended a bucket early (AccountSnapshot.InstantTicks).
    /// </summary>
    [Fact]
    public async Task Balance_quota_and_entitlements_asOf_random_instants_equal_the_replay_truncated_there_from_the_nearest_snapshot()
    {
        var stream = await Stream();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var first = fixture.OpenedAt;
        var last = AccountTimeline.InstantOf(stream[^1]);
        var stored = await SnapshotList();
        var snapshots = string.Join(", ", stored.Select(s => $"v{s.Version} at {s.Instant:O}"));
        // instants of writes (where a prefix ends exactly), instants between them, and the snapshots' own
        var instants = Enumerable.Range(0, 10).Select(_ => fixture.BatchInstants[random.Next(fixture.BatchInstants.Count)])
            .Concat(Enumerable.Range(0, 15).Select(_ => first + TimeSpan.FromTicks((long)(random.NextDouble() * (last - first).Ticks))))
            .Append(last).Concat(stored.Select(s => s.Instant)).ToList();
        foreach (var at in instants)
        {
            var prefix = stream.TakeWhile(e => AccountTimeline.InstantOf(e) <= at).Count();
            var response = await Admin.Get($"/v1/accounts/{Account}/balance?asOf={CreditsKit.Iso(at)}");
            var balance = await response.ShouldBe(200);
            var expected = Replay(stream, prefix, at);
            var what = $"asOf {at:O} (seed {seed}; the replay's prefix ends at v{prefix}); served v{balance.GetProperty("version").GetInt64()} replaying {Replayed(response)} events; snapshots {snapshots}";
            ShouldMatch(balance, expected, what);
            Replayed(response).ShouldBeLessThan(AccountSnapshot.Every + 64, what);
            if (prefix > AccountSnapshot.Every + 64) Replayed(response).ShouldBeLessThan(prefix, what);

            // the test's own sums agree: what it wrote by then, consumed and refunded
            var written = fixture.Movements.Where(m => m.At <= at).ToList();
            balance.GetProperty("consumed").GetInt64().ShouldBe(LongStreamApp.Consumed(written), what);
            balance.GetProperty("refunded").GetInt64().ShouldBe(LongStreamApp.Refunded(written), what);

            var quota = await (await Admin.Get($"/v1/accounts/{Account}/quota?asOf={CreditsKit.Iso(at)}")).ShouldBe(200);
            quota.GetProperty("used").GetInt64().ShouldBe(expected.Quota.Used, what);
            quota.GetProperty("allowance").GetInt64().ShouldBe(expected.Quota.Allowance, what);
            var entitlements = await (await Admin.Get($"/v1/accounts/{Account}/entitlements?asOf={CreditsKit.Iso(at)}")).ShouldBe(200);
            entitlements.GetProperty("status").GetString().ShouldBe(expected.Status, what);
            entitlements.GetProperty("features").GetProperty("ai").GetBoolean().ShouldBe(expected.IsOn("ai"), what);
        }
        await (await Admin.Get($"/v1/accounts/{Account}/quota?asOf={CreditsKit.Iso(first.AddDays(-1))}")).ShouldBeProblem(400, "before-account-opened");
    }

    [Fact]
    public async Task At_a_version_each_answer_replays_only_the_events_after_the_nearest_snapshot()
    {
        var stream = await Stream();
        await using var session = fixture.App.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var snapshots = await session.Query<AccountSnapshot>().Where(s => s.AccountId == Account).Select(s => s.Version).ToListAsync(Ct);
        var random = new Random(7);
        var versions = new long[] { 1, 2, snapshots.Min(), snapshots.Min() + 1, stream.Count }
            .Concat(Enumerable.Range(0, 12).Select(_ => (long)random.Next(1, stream.Count + 1)));
        foreach (var version in versions)
        {
            var response = await Admin.Get($"/v1/accounts/{Account}/balance?version={version}");
            var balance = await response.ShouldBe(200);
            var at = AccountTimeline.InstantOf(stream[(int)version - 1]);
            ShouldMatch(balance, Replay(stream, version, at), $"version {version}");
            balance.GetProperty("asOf").GetDateTimeOffset().ShouldBe(at);
            var nearest = snapshots.Where(s => s <= version).DefaultIfEmpty(0).Max();
            Replayed(response).ShouldBe(version - nearest, $"events replayed for version {version} (nearest snapshot {nearest})");
            var quota = await (await Admin.Get($"/v1/accounts/{Account}/quota?version={version}")).ShouldBe(200);
            quota.GetProperty("used").GetInt64().ShouldBe(Replay(stream, version, at).Quota.Used);
        }
        await (await Admin.Get($"/v1/accounts/{Account}/entitlements?version={stream.Count + 1}")).ShouldBeProblem(400, "version-beyond-stream");
        await (await Admin.Get($"/v1/accounts/{Account}/quota?version=0")).ShouldBeProblem(400, "validation");
    }

    [Fact]
    public async Task Statements_and_usage_series_add_up_to_independent_sums_and_read_the_same_without_snapshots()
    {
        var from = fixture.BatchInstants[5].AddMinutes(-1);
        var to = fixture.BatchInstants[19].AddMinutes(1);
        var period = $"from={CreditsKit.Iso(from)}&to={CreditsKit.Iso(to)}";
        var statementText = await (await Admin.Get($"/v1/accounts/{Account}/statement?{period}")).Content.ReadAsStringAsync(Ct);
        var seriesText = await (await Admin.Get($"/v1/accounts/{Account}/usage?{period}&groupBy=day,feature")).Content.ReadAsStringAsync(Ct);
        var statement = JsonDocument.Parse(statementText).RootElement;
        var series = JsonDocument.Parse(seriesText).RootElement;

        // statement arithmetic: each row moves the running balance by its own amount; the ends match the test's sums and the balance then
        var inPeriod = fixture.Movements.Where(m => m.At >= from && m.At < to).ToList();
        var opening = statement.GetProperty("opening").GetProperty("balance");
        var closing = statement.GetProperty("closing").GetProperty("balance");
        var previous = opening;
        foreach (var row in statement.GetProperty("movements").EnumerateArray())
        {
            var balance = row.GetProperty("balance");
            var amount = row.GetProperty("amount").GetInt64();
            var moved = row.GetProperty("type").GetString() switch
            {
                "usage_recorded" or "reservation_committed" => balance.GetProperty("consumed").GetInt64() - previous.GetProperty("consumed").GetInt64(),
                "credits_refunded" => balance.GetProperty("refunded").GetInt64() - previous.GetProperty("refunded").GetInt64(),
                "credits_reserved" => balance.GetProperty("reserved").GetInt64() - previous.GetProperty("reserved").GetInt64(),
                var other => throw new Xunit.Sdk.XunitException($"unexpected movement {other}"),
            };
            moved.ShouldBe(amount, row.GetRawText());
            (balance.GetProperty("available").GetInt64() + balance.GetProperty("reserved").GetInt64())
                .ShouldBe(balance.GetProperty("granted").GetInt64() - balance.GetProperty("consumed").GetInt64() + balance.GetProperty("refunded").GetInt64());
            previous = balance;
        }
        previous.GetRawText().ShouldBe(closing.GetRawText());
        (closing.GetProperty("consumed").GetInt64() - opening.GetProperty("consumed").GetInt64()).ShouldBe(LongStreamApp.Consumed(inPeriod));
        (closing.GetProperty("refunded").GetInt64() - opening.GetProperty("refunded").GetInt64()).ShouldBe(LongStreamApp.Refunded(inPeriod));
        var before = fixture.Movements.Where(m => m.At < from).ToList();
        opening.GetProperty("consumed").GetInt64().ShouldBe(LongStreamApp.Consumed(before));
        var closingBalance = await Admin.BalanceAsync(Account, $"?asOf={CreditsKit.Iso(to.AddTicks(-1))}");
        foreach (var sum in Sums) closing.GetProperty(sum).GetInt64().ShouldBe(closingBalance.GetProperty(sum).GetInt64(), sum);

        // usage series: per day and feature, the test's own sums
        var expected = inPeriod
            .GroupBy(m => (Day: DateOnly.FromDateTime(m.At.UtcDateTime).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), m.Feature))
            .ToDictionary(g => g.Key, g => (Consumed: LongStreamApp.Consumed(g), Refunded: LongStreamApp.Refunded(g)));
        var buckets = series.GetProperty("buckets").EnumerateArray().ToDictionary(
            b => (Day: b.GetProperty("day").GetString()!, Feature: b.GetProperty("feature").GetString()!),
            b => (Consumed: b.GetProperty("consumed").GetInt64(), Refunded: b.GetProperty("refunded").GetInt64()));
        buckets.ShouldBe(expected.Where(e => e.Value != (0, 0)).ToDictionary(), ignoreOrder: true);
        series.GetProperty("consumed").GetInt64().ShouldBe(LongStreamApp.Consumed(inPeriod));

        // without the snapshots (a replay from the first event) the same answers, byte for byte; a rebuild puts them back
        var count = await Snapshots("delete from ledger.mt_doc_accountsnapshot where data ->> 'accountId' = @account");
        count.ShouldBeGreaterThan(1);
        (await (await Admin.Get($"/v1/accounts/{Account}/statement?{period}")).Content.ReadAsStringAsync(Ct)).ShouldBe(statementText);
        (await (await Admin.Get($"/v1/accounts/{Account}/usage?{period}&groupBy=day,feature")).Content.ReadAsStringAsync(Ct)).ShouldBe(seriesText);
        var report = await (await Admin.PostJson("/v1/admin/projections/rebuild", new { projection = "snapshots", accountId = Account })).ShouldBe(200);
        report.GetProperty("differencesFound").GetInt32().ShouldBe(count);
        report.GetProperty("replaced").GetInt32().ShouldBe(count);
        (await Snapshots("select count(*) from ledger.mt_doc_accountsnapshot where data ->> 'accountId' = @account")).ShouldBe(count);
        var version = (await Stream()).Count;
        Replayed(await Admin.Get($"/v1/accounts/{Account}/balance?version={version}")).ShouldBeLessThan(AccountSnapshot.Every);
    }

    private async Task<IReadOnlyList<AccountSnapshot>> SnapshotList()
    {
        await using var session = fixture.App.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<AccountSnapshot>().Where(s => s.AccountId == Account).OrderBy(s => s.Version).ToListAsync(Ct);
    }

    private async Task<int> Snapshots(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("account", Account);
        return sql.StartsWith("select", StringComparison.Ordinal) ? Convert.ToInt32(await command.ExecuteScalarAsync(Ct)) : await command.ExecuteNonQueryAsync(Ct);
    }
}
