using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// DESIGN "Reliability": `kill -9` of the API (and an immediate PostgreSQL stop) under load loses no acknowledged
/// operation and duplicates none. The service runs as its own process (the built Ledger.Api.dll, as production runs
/// it) and is killed with SIGKILL while clients are writing; in the second case its PostgreSQL, a private cluster,
/// is stopped at the same moment without a checkpoint (crash recovery on restart). A new process on the same
/// database must still hold every acknowledged write, and replaying every request, acknowledged or cut off, must
/// apply each exactly once.
/// </summary>
/// (In the "private clusters" collection: tests that start, crash and restart their own PostgreSQL clusters run one at a time,
/// so no two pick the same free port while one of them is down.)
[Collection("private clusters")]
public sealed class CrashSafetyTests(PostgresServer server) : IAsyncLifetime
{
    private const int Accounts = 4, Clients = 16;
    private const long Granted = 1_000_000;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string _database = "";
    private string? _privateCluster;
    private LedgerProcess? _service;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _service?.Kill();
        if (_privateCluster is { } home)
        {
            await PostgresServer.PrivateClusterAsync(home, "stop");
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The shared test server, or a private cluster this test may crash.</summary>
    private async Task UseDatabaseAsync(bool crashable)
    {
        if (!crashable)
        {
            _database = await server.CreateDatabaseAsync("crash");
            return;
        }
        _privateCluster = Path.Combine(Path.GetTempPath(), $"ledger-crash-{Guid.NewGuid():N}");
        _database = (await PostgresServer.PrivateClusterAsync(_privateCluster, "start")).Trim();
    }

    /// <summary>Starts the service's own dll on the test's database (the same port each time) and waits until it is ready.</summary>
    private async Task StartServiceAsync()
    {
        _service ??= new LedgerProcess(_database);
        await _service.StartAsync();
    }

    private void Kill() => _service?.Kill();

    private string Output() => _service?.Output() ?? "";

    private HttpClient Client() => _service!.Client(Clients * 2);

    /// <summary>
    /// One write a client sent: its path and body (ids chosen by the client, so it can be sent again), and what it
    /// consumes once its reservation, if any, is committed.
    /// </summary>
    private sealed record Write(string Account, string Kind, string Path, object Body, long Consumes, string? ReservationId = null);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_kill_9_under_load_loses_no_acknowledged_write_and_duplicates_none(bool postgresStopsImmediatelyToo)
    {
        await UseDatabaseAsync(crashable: postgresStopsImmediatelyToo);
        await StartServiceAsync();
        using var client = Client();
        var accounts = Enumerable.Range(0, Accounts).Select(i => $"crash-{i}").ToList();
        var initial = new Dictionary<string, long>();
        foreach (var account in accounts)
        {
            (await client.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = "enterprise" }, Ct)).EnsureSuccessStatusCode();
            (await client.PostAsJsonAsync($"/v1/accounts/{account}/grants",
                new { grantId = "crash-grant", amount = Granted, source = "manual", reason = "crash test" }, Ct)).EnsureSuccessStatusCode();
            initial[account] = (await (await client.GetAsync($"/v1/accounts/{account}/balance", Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct))
                .GetProperty("available").GetInt64();
        }

        // Clients write until the kill: usage, and reserve-then-commit pairs, each with its own id.
        var acknowledged = new ConcurrentBag<Write>();
        var cutOff = new ConcurrentBag<Write>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var account = accounts[(c + n) % Accounts];
                var amount = 1 + (c * 7 + n) % 10;
                var rid = $"r-{c}-{n}";
                Write[] writes = n % 2 == 0
                    ? [new Write(account, "usage", $"/v1/accounts/{account}/usage", new { usageId = $"u-{c}-{n}", amount, feature = "ai" }, amount)]
                    : [new Write(account, "reserve", $"/v1/accounts/{account}/reservations", new { reservationId = rid, amount, feature = "ai", ttlSeconds = 3600 }, amount, rid),
                       new Write(account, "commit", $"/v1/accounts/{account}/reservations/{rid}/commit", new { amount }, 0, rid)];
                foreach (var write in writes)
                {
                    try
                    {
                        var response = await client.PostAsJsonAsync(write.Path, write.Body, CancellationToken.None);
                        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created,
                            $"{write.Path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                        acknowledged.Add(write);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                    {
                        cutOff.Add(write); // no answer: it may or may not have been applied
                        return;
                    }
                }
            }
        }, Ct)).ToList();

        // Kill once the load is well under way, mid-flight.
        await Eventually.Until(() => Task.FromResult(acknowledged.Count >= 400 ? "under load" : null),
            TimeSpan.FromSeconds(60), () => $"only {acknowledged.Count} writes acknowledged");
        Kill();
        if (postgresStopsImmediatelyToo) await PostgresServer.PrivateClusterAsync(_privateCluster!, "crash");
        stop.Cancel();
        await Task.WhenAll(load);
        Assert.True(acknowledged.Count > 100, $"only {acknowledged.Count} writes were acknowledged before the kill");
        if (postgresStopsImmediatelyToo) await PostgresServer.PrivateClusterAsync(_privateCluster!, "start"); // crash recovery

        await StartServiceAsync();

        // Every acknowledged write is there, read before anything is sent again: a usage sent again is a replay
        // (200), never applied anew (201); an acknowledged hold exists; an acknowledged commit is committed.
        foreach (var write in acknowledged)
        {
            if (write.Kind == "usage")
            {
                var again = await client.PostAsJsonAsync(write.Path, write.Body, Ct);
                Assert.True(again.StatusCode == HttpStatusCode.OK,
                    $"acknowledged {write.Path} was lost in the crash: {(int)again.StatusCode} {await again.Content.ReadAsStringAsync(Ct)}");
                continue;
            }
            var hold = await client.GetAsync($"/v1/accounts/{write.Account}/reservations/{write.ReservationId}", Ct);
            Assert.True(hold.StatusCode == HttpStatusCode.OK, $"acknowledged {write.Kind} of {write.ReservationId} was lost in the crash");
            var status = (await hold.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString();
            if (write.Kind == "commit") Assert.Equal("committed", status);
        }

        // The cut-off writes, sent again, apply at most once (201 if the crash lost them, 200 if it did not); then
        // every hold is committed (a replay where the client's commit got through), so each write happened once.
        var writes = acknowledged.Concat(cutOff).ToList();
        foreach (var write in cutOff.Where(w => w.Kind != "commit"))
        {
            var again = await client.PostAsJsonAsync(write.Path, write.Body, Ct);
            Assert.True(again.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created,
                $"retrying {write.Path} after the crash: {(int)again.StatusCode} {await again.Content.ReadAsStringAsync(Ct)}");
        }
        foreach (var hold in writes.Where(w => w.Kind == "reserve"))
        {
            var commit = await client.PostAsJsonAsync($"{hold.Path}/{hold.ReservationId}/commit", new { amount = hold.Consumes }, Ct);
            Assert.True(commit.StatusCode == HttpStatusCode.OK,
                $"committing {hold.ReservationId}: {(int)commit.StatusCode} {await commit.Content.ReadAsStringAsync(Ct)}");
        }

        // Each account consumed exactly what was sent to it, once: nothing lost, nothing doubled.
        foreach (var account in accounts)
        {
            var expected = writes.Where(w => w.Account == account).Sum(w => w.Consumes);
            var balance = await (await client.GetAsync($"/v1/accounts/{account}/balance", Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(expected, balance.GetProperty("consumed").GetInt64());
            Assert.Equal(0, balance.GetProperty("reserved").GetInt64());
            Assert.Equal(initial[account] - expected, balance.GetProperty("available").GetInt64());
        }
        TestContext.Current.SendDiagnosticMessage(
            $"kill -9 under load: {acknowledged.Count} acknowledged, {cutOff.Count} cut off; all present after restart, none doubled");
        RunReport.Record("kill -9 under load, 1 process", postgresStopsImmediatelyToo ? "kill -9 + PostgreSQL immediate stop" : "kill -9",
            acknowledged.Count + cutOff.Count, $"{acknowledged.Count} acknowledged all present, {cutOff.Count} cut off applied once");
    }
}
