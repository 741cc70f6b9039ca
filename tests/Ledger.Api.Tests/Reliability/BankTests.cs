using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Api.Tests.Stripe;
using Xunit;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// Jepsen's bank test, on Ledger: three API processes (the built dll, <see cref="LedgerProcess"/>) on one PostgreSQL
/// (a private cluster, so it can be crashed), clients spread over them issuing reserves, commits below and above the
/// hold, releases, usage, refunds and grants on a few accounts whose credits cover a fraction of the demand, every
/// request and answer kept as a history. Meanwhile one process after another is killed with SIGKILL and started again,
/// and PostgreSQL is stopped as a power cut would (<c>pg_ctl -m immediate</c>) and started again (crash recovery);
/// clients retry on another process with the same <c>Idempotency-Key</c>. Holds are abandoned with ttls of seconds
/// and grants expire within seconds, so the expiry timers fire under the faults, and so do two period renewals (accounts
/// opened with a billing cycle anchor inside the run) and a grace end (<see cref="LongTimers"/>); threshold alerts leave through the
/// outbox as operator webhooks to a receiver that counts duplicates, and an overage settled at a plan change leaves as
/// a Stripe meter event to the Stripe stand-in. <see cref="BankChecker"/> then proves the history against the events.
/// Knobs (scripts/reliability.sh): LEDGER_BANK_SEED, LEDGER_BANK_SECONDS, LEDGER_BANK_CLIENTS, LEDGER_BANK_ACCOUNTS,
/// LEDGER_BANK_KILLS, LEDGER_BANK_PG_CRASHES. The seed is printed on failure; the same seed replays the same requests
/// (the interleaving with the faults is the machine's).
/// </summary>
/// (In the "private clusters" collection: tests that start, crash and restart their own PostgreSQL clusters run one at a time,
/// so no two pick the same free port while one of them is down.)
[Collection("private clusters")]
public sealed class BankTests(PostgresServer server) : IAsyncLifetime
{
    private const string WebhookSecret = "whsec_bank_operator_4f1c";
    public const string Plan = "bank";
    private const int LostAnswers = 2;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string? _cluster;
    private readonly List<LedgerProcess> _nodes = [];
    private readonly List<IAsyncDisposable> _others = [];

    private static int Knob(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) node.Kill();
        foreach (var other in _others) await other.DisposeAsync();
        if (_cluster is { } home)
        {
            await PostgresServer.PrivateClusterAsync(home, "stop");
            Directory.Delete(home, recursive: true);
        }
        _ = server;
    }

    /// <summary>The shipped plans plus <c>bank</c>: no allowance, spending stops at zero, a low-balance alert, no request limit.</summary>
    private static string PlansFile()
    {
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "plans.json")))!.AsObject();
        shipped["plans"]!.AsArray().Add(JsonNode.Parse($$"""
            {
              "id": "{{Plan}}", "name": "Bank test", "allowance": 0, "rollover": { "mode": "none" },
              "requestsPerMinute": 1000000, "maxCreditsPerRequest": 1000000, "overage": { "mode": "block" },
              "features": ["ai", "sync", "reports"], "softLimitThresholds": [], "historyRetentionDays": 365,
              "alerts": { "lowBalance": 150, "quotaWarningPercent": 80 }
            }
            """));
        var path = Path.Combine(AppContext.BaseDirectory, "bank-test-plans.json");
        File.WriteAllText(path, shipped.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Three_processes_under_kill_9_and_a_PostgreSQL_crash_never_overspend_lose_or_double_an_acknowledged_operation()
    {
        var seed = Knob("LEDGER_BANK_SEED", Environment.TickCount & 0x7FFFFFFF);
        var seconds = Knob("LEDGER_BANK_SECONDS", 8);
        var clients = Knob("LEDGER_BANK_CLIENTS", 12);
        var accountCount = Knob("LEDGER_BANK_ACCOUNTS", 4);
        var kills = Knob("LEDGER_BANK_KILLS", 2);
        var pgCrashes = Knob("LEDGER_BANK_PG_CRASHES", 1);
        var clock = Stopwatch.StartNew();
        TestContext.Current.SendDiagnosticMessage($"bank test seed {seed}");

        _cluster = Path.Combine(Path.GetTempPath(), $"ledger-bank-{Guid.NewGuid():N}");
        var database = (await PostgresServer.PrivateClusterAsync(_cluster, "start")).Trim();
        var receiver = await WebhookReceiver.StartAsync(WebhookSecret);
        var stripe = await StripeStandIn.StartAsync();
        _others.Add(receiver);
        _others.Add(stripe);
        var settings = new Dictionary<string, string>
        {
            ["LEDGER_PLANS"] = PlansFile(), ["LEDGER_OPERATOR_WEBHOOK_URL"] = receiver.Url, ["LEDGER_OPERATOR_WEBHOOK_SECRET"] = WebhookSecret,
            ["LEDGER_STRIPE_API_KEY"] = "sk_test_bank", ["LEDGER_STRIPE_API_BASE"] = stripe.BaseUrl, ["LEDGER_STRIPE_WEBHOOK_SECRET"] = "whsec_bank",
        };
        for (var i = 0; i < 3; i++)
        {
            var node = new LedgerProcess(database, settings);
            _nodes.Add(node);
            await node.StartAsync();
        }
        using var admin = _nodes[0].Client();
        var write = await (await admin.PostAsJsonAsync("/v1/admin/api-keys", new { name = "bank", scopes = new[] { "ledger:write" } }, Ct)).Json();
        var writeKey = write.GetProperty("secret").GetString()!;
        var writers = _nodes.Select(n => BankHistory.Client(n.BaseAddress, writeKey)).ToList();
        var admins = _nodes.Select(n => BankHistory.Client(n.BaseAddress, LedgerApp.AdminKey)).ToList();

        // a few accounts, each with credits for a fraction of what the clients will ask
        var accounts = Enumerable.Range(0, accountCount).Select(i => $"bank-{i}").ToList();
        foreach (var account in accounts)
        {
            (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = account, plan = Plan }, Ct)).EnsureSuccessStatusCode();
            (await admin.PostAsJsonAsync($"/v1/accounts/{account}/grants", new { grantId = "bank-start", amount = 400, source = "manual", reason = "bank test" }, Ct))
                .EnsureSuccessStatusCode();
        }
        // an account in overage, settled by a plan change during the faults: one Stripe meter event through the outbox
        (await admin.PostAsJsonAsync("/v1/accounts", new { accountId = "bank-overage", plan = "pro", stripeCustomerId = "cus_bank" }, Ct)).EnsureSuccessStatusCode();
        foreach (var usage in new[] { "ov-1", "ov-2" })
            (await admin.PostAsJsonAsync("/v1/accounts/bank-overage/usage", new { usageId = usage, amount = 60_000 }, Ct)).EnsureSuccessStatusCode();

        // warm each process up on an account of its own (JIT and first queries cost seconds on a busy machine)
        for (var i = 0; i < _nodes.Count; i++)
        {
            var warm = $"warm-{i}";
            foreach (var (path, body) in new (string, object)[]
                     {
                         ("/v1/accounts", new { accountId = warm, plan = Plan }), ($"/v1/accounts/{warm}/grants", new { amount = 100, source = "manual", reason = "warm" }),
                         ($"/v1/accounts/{warm}/reservations", new { reservationId = "w1", amount = 5 }), ($"/v1/accounts/{warm}/reservations/w1/commit", new { amount = 6 }),
                         ($"/v1/accounts/{warm}/reservations", new { reservationId = "w2", amount = 5 }), ($"/v1/accounts/{warm}/reservations/w2/release", new { reason = "warm" }),
                         ($"/v1/accounts/{warm}/usage", new { usageId = "w3", amount = 5 }), ($"/v1/accounts/{warm}/refunds", new { usageId = "w3", amount = 1, reason = "warm" }),
                     })
                (await admins[i].PostAsJsonAsync(path, body, Ct)).EnsureSuccessStatusCode();
        }

        receiver.LoseAnswersToNext(LostAnswers); // webhooks the receiver took in whose answers were lost: delivered again
        var history = new BankHistory();
        var timers = await LongTimers.SetAsync(admin, DateTimeOffset.UtcNow, seconds, Ct);
        var until = DateTime.UtcNow.AddSeconds(seconds);
        var workers = Enumerable.Range(0, clients)
            .Select(c => new BankClient(c, HashCode.Combine(seed, c), accounts, writers, admins, history)).ToList();
        var load = workers.Select(w => Task.Run(() => w.RunAsync(until, Ct), Ct)).ToList();

        // the faults, spread over the run: kill -9 of one process after another (started again at once), and PostgreSQL
        // stopped as a power cut would, alternating; halfway, the plan change that settles the overage account
        var faults = new List<string>();
        var plan = Enumerable.Range(0, Math.Max(kills, pgCrashes)).SelectMany(i => new[] { i < kills ? "kill" : null, i < pgCrashes ? "postgres" : null })
            .OfType<string>().ToList();
        for (var f = 0; f < plan.Count; f++)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds) / (plan.Count + 1), Ct);
            if (f == plan.Count / 2) faults.Add($"plan change (overage settled): {(await SendPlanChange(history, admins)).Status}");
            if (plan[f] == "kill")
            {
                var victim = f % 3;
                _nodes[victim].Kill();
                faults.Add($"kill -9 node {victim} at {clock.Elapsed.TotalSeconds:F0}s");
                await Task.Delay(300, Ct);
                await _nodes[victim].StartAsync();
            }
            else
            {
                await PostgresServer.PrivateClusterAsync(_cluster, "crash");
                faults.Add($"postgres immediate stop at {clock.Elapsed.TotalSeconds:F0}s");
                await Task.Delay(1000, Ct);
                await PostgresServer.PrivateClusterAsync(_cluster, "start");
            }
        }
        if (!faults.Any(x => x.StartsWith("plan change", StringComparison.Ordinal)))
            faults.Add($"plan change (overage settled): {(await SendPlanChange(history, admins)).Status}");
        await Task.WhenAll(load);

        var checker = new BankChecker(database, history, accounts, seed);
        var fired = await timers.CheckAsync(database, seed); // first: the webhooks the checker expects include theirs
        var report = await checker.CheckAsync(receiver, stripe, Ct);
        await Eventually.Until(() => Task.FromResult(receiver.Duplicates >= LostAnswers ? "again" : null), TimeSpan.FromSeconds(60),
            () => $"{receiver.Duplicates} duplicate webhook deliveries, though the answers to {LostAnswers} were lost (each must come again)");
        var operations = history.Entries.Count;
        var summary = $"seed {seed}: {operations} operations ({report}), {history.Attempts} HTTP attempts ({history.Retries} retries), " +
                      $"faults: {string.Join("; ", faults)}; {fired}; {clock.Elapsed.TotalSeconds:F0} s";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        TestContext.Current.SendDiagnosticMessage(summary);
        RunReport.Record("bank test, 3 processes", $"{faults.Count(f => f.StartsWith("kill", StringComparison.Ordinal))} kill -9, " +
            $"{faults.Count(f => f.StartsWith("postgres", StringComparison.Ordinal))} PostgreSQL crash (seed {seed}, {seconds} s, {clients} clients)",
            operations, $"passed: {report}; {history.Retries} retries; {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static Task<BankOutcome> SendPlanChange(BankHistory history, IReadOnlyList<HttpClient> admins) =>
        history.SendAsync(new BankOp(-1, 0, "plan", "bank-overage", "/v1/accounts/bank-overage/plan",
            """{"plan":"enterprise","reason":"bank test"}""", "bank-plan-change", "bank-plan-change", 0), admins, 1, Ct);
}
