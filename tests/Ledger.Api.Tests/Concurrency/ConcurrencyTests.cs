using System.Diagnostics;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Concurrency;

/// <summary>
/// Many callers on one account against the real database: the check and the hold stay one atomic step, a hold
/// resolves once, two API nodes never overspend, and nothing answers 5xx. Burst timings go to the test output.
/// </summary>
public sealed class ConcurrencyTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;

    private sealed record Answer(int Status, JsonElement Body, TimeSpan Took, int Node = 1);

    private static async Task<Answer> Send(HttpClient client, string url, object body, Task start, int node = 1)
    {
        await start;
        var stopwatch = Stopwatch.StartNew();
        var response = await client.PostJson(url, body);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        stopwatch.Stop();
        return new Answer((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), stopwatch.Elapsed, node);
    }

    private static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        TestContext.Current.SendDiagnosticMessage(line);
    }

    private static string Latencies(IEnumerable<Answer> answers)
    {
        var ms = answers.Select(a => a.Took.TotalMilliseconds).Order().ToArray();
        double At(double q) => ms[Math.Min(ms.Length - 1, (int)Math.Ceiling(q * ms.Length) - 1)];
        return $"latency p50 {At(0.50):F0} ms, p99 {At(0.99):F0} ms, max {ms[^1]:F0} ms";
    }

    /// <summary>One reserve and release on a side account, so the burst measures the write path, not first-call code generation.</summary>
    private static async Task WarmUp(HttpClient client, string account)
    {
        var reserved = await (await client.PostJson($"/v1/accounts/{account}/reservations", new { amount = 1 })).ShouldBe(201);
        var rid = reserved.GetProperty("reservation").GetProperty("reservationId").GetString();
        await (await client.PostJson($"/v1/accounts/{account}/reservations/{rid}/release", new { })).ShouldBe(200);
        await client.BalanceAsync(account);
    }

    private async Task OpenWarmUpAccount(string account)
    {
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 100);
    }

    private static void ShouldHaveNo5xx(IEnumerable<Answer> answers)
    {
        var failures = answers.Where(a => a.Status >= 500).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} answers were 5xx, e.g. {failures.FirstOrDefault()?.Body.GetRawText()}");
    }

    [Fact]
    public async Task Two_hundred_concurrent_reserves_of_10_on_500_credits_give_exactly_50_holds_and_150_refusals()
    {
        const string account = "burst";
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 500, grantId: "g");
        var client = App.ClientWith(await App.CreateKeyAsync(["ledger:write", "ledger:read"]));
        await OpenWarmUpAccount("burst-warm-up");
        await WarmUp(client, "burst-warm-up");

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, 200)
            .Select(i => Send(client, $"/v1/accounts/{account}/reservations", new { reservationId = $"r{i:D3}", amount = 10 }, start.Task))
            .ToList();
        var burst = Stopwatch.StartNew();
        start.SetResult();
        var answers = await Task.WhenAll(requests);
        burst.Stop();
        Report($"200 concurrent reserves on one account: {burst.ElapsedMilliseconds} ms " +
               $"({200 / burst.Elapsed.TotalSeconds:F0} requests/s); {Latencies(answers)}");

        ShouldHaveNo5xx(answers);
        Assert.Equal(50, answers.Count(a => a.Status == 201));
        Assert.Equal(150, answers.Count(a => a.Status == 402));
        Assert.Equal(200, answers.Count(a => a.Status is 201 or 402));
        foreach (var refused in answers.Where(a => a.Status == 402))
        {
            Assert.Equal("/problems/insufficient-credits", refused.Body.GetProperty("type").GetString());
            Assert.Equal(10, refused.Body.GetProperty("requested").GetInt64());
            Assert.InRange(refused.Body.GetProperty("available").GetInt64(), 0, 9);
        }
        foreach (var held in answers.Where(a => a.Status == 201))
            Assert.Equal([new Drawn("g", 10)], held.Body.GetProperty("reservation").GetProperty("held").Draws());

        var now = await App.Admin().BalanceAsync(account);
        now.ShouldMatch(new ExpectedBalance(500, Reserved: 500), "after the burst");
        var stream = await App.StreamAsync(account);
        Assert.Equal(50, stream.Count(e => e.Type == "credits_reserved"));
        Assert.Equal(stream[^1].Version, now.GetProperty("version").GetInt64());

        // the stored inline view is what a replay of the stream gives, and so is the balance at the latest version
        await App.ShouldEqualReplayOfStreamAsync(account);
        var replayed = await App.Admin().BalanceAsync(account, $"?version={stream[^1].Version}");
        foreach (var field in new[] { "version", "granted", "consumed", "reserved", "available", "blocks" })
            Assert.Equal(now.GetProperty(field).GetRawText(), replayed.GetProperty(field).GetRawText());
    }

    [Fact]
    public async Task Concurrent_commits_and_releases_of_one_hold_resolve_it_exactly_once()
    {
        const string account = "race";
        const int rounds = 12, eachKind = 12;
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 10_000, grantId: "g");
        var client = App.ClientWith(await App.CreateKeyAsync(["ledger:write", "ledger:read"]));
        var winners = new List<string>();

        for (var round = 0; round < rounds; round++)
        {
            var rid = $"h{round:D2}";
            await (await client.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = rid, amount = 100 })).ShouldBe(201);

            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var commits = new List<Task<Answer>>();
            var releases = new List<Task<Answer>>();
            for (var i = 0; i < eachKind; i++)
            {
                // interleaved, and which kind goes first alternates by round
                Task<Answer> Commit() => Send(client, $"/v1/accounts/{account}/reservations/{rid}/commit", new { amount = 60, receiptId = "rc" }, start.Task);
                Task<Answer> Release() => Send(client, $"/v1/accounts/{account}/reservations/{rid}/release", new { reason = "cancel" }, start.Task);
                if (round % 2 == 0)
                {
                    commits.Add(Commit());
                    releases.Add(Release());
                }
                else
                {
                    releases.Add(Release());
                    commits.Add(Commit());
                }
            }
            start.SetResult();
            var commitAnswers = await Task.WhenAll(commits);
            var releaseAnswers = await Task.WhenAll(releases);
            ShouldHaveNo5xx([.. commitAnswers, .. releaseAnswers]);

            var status = (await client.ReservationAsync(account, rid)).GetProperty("status").GetString();
            winners.Add(status!);
            var (won, lost, loserCode) = status switch
            {
                "committed" => (commitAnswers, releaseAnswers, "reservation-committed"),
                "released" => (releaseAnswers, commitAnswers, "reservation-released"),
                _ => throw new Xunit.Sdk.XunitException($"{rid} ended {status}"),
            };
            Assert.All(won, a => Assert.Equal(200, a.Status));
            Assert.Single(won.Select(a => a.Body.GetProperty("reservation").GetRawText()).Distinct()); // same-args replays
            Assert.All(lost, a =>
            {
                Assert.Equal(409, a.Status);
                Assert.Equal($"/problems/{loserCode}", a.Body.GetProperty("type").GetString());
                Assert.Equal(status, a.Body.GetProperty("state").GetString()); // the winner's state
            });

            var resolutions = (await App.StreamAsync(account))
                .Where(e => e.Type is "reservation_committed" or "reservation_released" or "reservation_expired")
                .Count(e => e.Data.GetProperty("reservationId").GetString() == rid);
            Assert.Equal(1, resolutions);
        }

        var committed = winners.Count(w => w == "committed");
        Report($"commit/release races: {committed} won by commit, {rounds - committed} by release");
        (await client.BalanceAsync(account)).ShouldMatch(new ExpectedBalance(10_000, Consumed: 60 * committed), "after all rounds");
        await App.ShouldEqualReplayOfStreamAsync(account);
    }

    [Fact]
    public async Task Two_api_nodes_hammering_one_account_never_overspend()
    {
        const string account = "two-nodes";
        const long granted = 10_000;
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, granted, grantId: "g");
        var key = await App.CreateKeyAsync(["ledger:write", "ledger:read"]);
        await using var other = App.StartAnotherNode();
        HttpClient[] nodes = [App.ClientWith(key), other.ClientWith(key)];
        await OpenWarmUpAccount("two-nodes-warm-up");
        foreach (var node in nodes) await WarmUp(node, "two-nodes-warm-up");

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, 800)
            .Select(i => (Node: i % 2, Amount: 5 + i % 20, Id: $"r{i:D3}"))
            .Select(r => Send(nodes[r.Node], $"/v1/accounts/{account}/reservations", new { reservationId = r.Id, amount = r.Amount }, start.Task, r.Node + 1))
            .ToList(); // asks for 800 x 14.5 = 11,600 credits in all
        var burst = Stopwatch.StartNew();
        start.SetResult();
        var answers = await Task.WhenAll(requests);
        burst.Stop();

        ShouldHaveNo5xx(answers);
        Assert.All(answers, a => Assert.True(a.Status is 201 or 402, $"{a.Status}: {a.Body.GetRawText()}"));
        var held = answers.Where(a => a.Status == 201).Select(a => a.Body.GetProperty("reservation").GetProperty("amount").GetInt64()).ToList();
        var refused = answers.Where(a => a.Status == 402).Select(a => a.Body.GetProperty("requested").GetInt64()).ToList();
        Report($"two nodes, 800 concurrent reserves: {burst.ElapsedMilliseconds} ms; {held.Count} held ({held.Sum()} credits; " +
               $"node 1 {answers.Count(a => a.Node == 1 && a.Status == 201)}, node 2 {answers.Count(a => a.Node == 2 && a.Status == 201)}), " +
               $"{refused.Count} refused; {Latencies(answers)}");

        Assert.True(held.Sum() <= granted, $"overspent: {held.Sum()} held of {granted}");
        // both nodes really wrote to the account (the row lock, not one node alone, kept them apart)
        Assert.All(new[] { 1, 2 }, node => Assert.Contains(answers, a => a.Node == node && a.Status == 201));
        var balance = await nodes[1].BalanceAsync(account);
        balance.ShouldMatch(new ExpectedBalance(granted, Reserved: held.Sum()), "after the two-node burst");
        Assert.Equal(balance.GetRawText(), (await nodes[0].BalanceAsync(account)).GetRawText());
        // nothing was refused while it fitted: what is left is less than any refused amount
        Assert.NotEmpty(refused);
        Assert.True(granted - held.Sum() < refused.Min(), $"{granted - held.Sum()} left, yet {refused.Min()} was refused");
        Assert.Equal(held.Count, (await App.StreamAsync(account)).Count(e => e.Type == "credits_reserved"));
        await App.ShouldEqualReplayOfStreamAsync(account);
    }

    [Fact]
    public async Task Thirty_two_concurrent_clients_reserving_and_resolving_on_one_account_get_no_5xx()
    {
        const string account = "clients";
        const int clients = 32, pairs = 10;
        await App.OpenAccountAsync(account, CreditsKit.Plan);
        await App.GrantAsync(account, 100_000, grantId: "g");
        var keys = await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => App.CreateKeyAsync(["ledger:write", "ledger:read"])));

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<List<Answer>> Client(int c)
        {
            var client = App.ClientWith(keys[c]);
            var answers = new List<Answer>();
            for (var i = 0; i < pairs; i++)
            {
                var rid = $"c{c:D2}-{i:D2}";
                answers.Add(await Send(client, $"/v1/accounts/{account}/reservations", new { reservationId = rid, amount = 7 }, start.Task));
                answers.Add(i % 3 == 2
                    ? await Send(client, $"/v1/accounts/{account}/reservations/{rid}/release", new { }, start.Task)
                    : await Send(client, $"/v1/accounts/{account}/reservations/{rid}/commit", new { amount = 5 }, start.Task));
            }
            return answers;
        }
        var running = Enumerable.Range(0, clients).Select(Client).ToList();
        var burst = Stopwatch.StartNew();
        start.SetResult();
        var answers = (await Task.WhenAll(running)).SelectMany(a => a).ToList();
        burst.Stop();
        Report($"32 clients x {pairs} reserve+resolve pairs on one account: {answers.Count} requests in {burst.ElapsedMilliseconds} ms " +
               $"({answers.Count / burst.Elapsed.TotalSeconds:F0} requests/s); {Latencies(answers)}");

        ShouldHaveNo5xx(answers);
        Assert.Equal(clients * pairs, answers.Count(a => a.Status == 201));
        Assert.Equal(clients * pairs, answers.Count(a => a.Status == 200));
        var commitsPerClient = Enumerable.Range(0, pairs).Count(i => i % 3 != 2);
        (await App.Admin().BalanceAsync(account))
            .ShouldMatch(new ExpectedBalance(100_000, Consumed: 5L * commitsPerClient * clients), "after all clients");
        await App.ShouldEqualReplayOfStreamAsync(account);
    }
}
