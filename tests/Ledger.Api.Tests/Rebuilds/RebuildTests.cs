using System.Diagnostics;
using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Codegen;
using Ledger.Api.Tests.Infrastructure;
using Ledger.Domain.Reservations;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Rebuilds;

/// <summary>An app whose background drift check runs every second (<c>LEDGER_DRIFT_CHECK_INTERVAL=1</c>).</summary>
public sealed class RebuildApp(PostgresServer server) : IAsyncLifetime
{
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        App = await LedgerApp.StartAsync(server, "rebuild", settings: new Dictionary<string, string> { ["LEDGER_DRIFT_CHECK_INTERVAL"] = "1" });

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Rebuilds (issue 12 item 2): a stored view corrupted by hand in PostgreSQL is found by a dry run, field by field with
/// the stored and the recomputed value, left as it is, then repaired by a real run, from the API and from the command
/// line; the background check reports the drift in /health/ready and stops reporting it once repaired.
/// </summary>
public sealed class RebuildTests(RebuildApp fixture) : IClassFixture<RebuildApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();

    private async Task Story(string account)
    {
        await App.OpenAccountAsync(account, "free");
        await App.GrantAsync(account, 1000, grantId: "base");
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u1", amount = 100 })).ShouldBe(201);
        await (await Admin.PostJson($"/v1/accounts/{account}/reservations", new { reservationId = "r1", amount = 50 })).ShouldBe(201);
    }

    private async Task<object?> Sql(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(App.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync(Ct);
    }

    private Task<object?> StoredConsumed(string account) =>
        Sql("select data -> 'blocks' -> 'base' ->> 'consumed' from ledger.mt_doc_account where id = @id", ("id", account));

    private async Task<JsonElement> Rebuild(object body) => await (await Admin.PostJson("/v1/admin/projections/rebuild", body)).ShouldBe(200);

    private static List<string> Differences(JsonElement report) => report.GetProperty("differences").EnumerateArray()
        .Select(d => $"{d.GetProperty("accountId").GetString()}|{d.GetProperty("view").GetString()}|{d.GetProperty("documentId").GetString()}|"
            + $"{d.GetProperty("field").GetString()}|{d.GetProperty("stored")}|{d.GetProperty("recomputed")}")
        .ToList();

    [Fact]
    public async Task A_view_corrupted_by_hand_is_reported_exactly_by_a_dry_run_and_repaired_by_a_real_run()
    {
        const string account = "rb-corrupt";
        await Story(account);
        (await Rebuild(new { accountId = account, dryRun = true })).GetProperty("differencesFound").GetInt32().ShouldBe(0);

        await Sql("update ledger.mt_doc_account set data = jsonb_set(data, '{blocks,base,consumed}', '999'::jsonb) where id = @id", ("id", account));
        var usageKey = RecordKeys.For(account, "u1");
        await Sql("delete from ledger.mt_doc_usagerecord where id = @id", ("id", usageKey));

        var dry = await Rebuild(new { accountId = account, dryRun = true });
        var differences = Differences(dry);
        differences.ShouldContain($"{account}|accounts|{account}|blocks.base.consumed|999|0");
        differences.ShouldContain(d => d.StartsWith($"{account}|usage|{usageKey}|(document)||", StringComparison.Ordinal) && d.Contains("\"usageId\":\"u1\""));
        differences.Count.ShouldBe(2, string.Join('\n', differences));
        dry.GetProperty("differencesFound").GetInt32().ShouldBe(2);
        (dry.GetProperty("replaced").GetInt32(), dry.GetProperty("dryRun").GetBoolean()).ShouldBe((0, true));
        (await StoredConsumed(account)).ShouldBe("999"); // a dry run replaces nothing
        (await Sql("select count(*) from ledger.mt_doc_usagerecord where id = @id", ("id", usageKey))).ShouldBe(0L);

        var real = await Rebuild(new { accountId = account });
        Differences(real).ShouldBe(differences);
        real.GetProperty("replaced").GetInt32().ShouldBe(2);
        (await StoredConsumed(account)).ShouldBe("0");
        (await (await Admin.Get($"/v1/accounts/{account}/usage-records")).ShouldBe(200)).GetProperty("data").GetArrayLength().ShouldBe(1);
        (await Admin.BalanceAsync(account)).GetProperty("consumed").GetInt64().ShouldBe(100);
        (await Rebuild(new { accountId = account, dryRun = true })).GetProperty("differencesFound").GetInt32().ShouldBe(0);

        // the same from the command line: the dry run exits 1 with the differences as JSON, the real run repairs
        await Sql("update ledger.mt_doc_account set data = jsonb_set(data, '{blocks,base,consumed}', '7'::jsonb) where id = @id", ("id", account));
        var (code, output) = await Cli("rebuild", "--account", account, "--dry-run", "--json");
        code.ShouldBe(1, output);
        Differences(JsonDocument.Parse(output).RootElement).ShouldBe([$"{account}|accounts|{account}|blocks.base.consumed|7|0"]);
        (await StoredConsumed(account)).ShouldBe("7");
        (code, output) = await Cli("rebuild", "--account", account, "--projection", "accounts");
        code.ShouldBe(0, output);
        System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " ").ShouldContain("1 differences, 1 documents replaced", customMessage: output);
        (await StoredConsumed(account)).ShouldBe("0");
    }

    [Fact]
    public async Task Records_compared_as_json_values_report_an_edited_field_a_missing_record_and_one_no_event_explains()
    {
        const string account = "rb-records";
        await Story(account);
        await (await Admin.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u2", amount = 7 })).ShouldBe(201);
        var reservation = RecordKeys.For(account, "r1");
        var ghost = RecordKeys.For(account, "ghost");
        var missing = RecordKeys.For(account, "u2");
        await Sql("update ledger.mt_doc_reservationrecord set data = jsonb_set(data, '{amount}', '51'::jsonb) where id = @id", ("id", reservation));
        await Sql("""
            insert into ledger.mt_doc_usagerecord (id, data, mt_last_modified, mt_version, mt_dotnet_type)
            select @ghost, jsonb_set(jsonb_set(data, '{usageId}', '"ghost"'), '{id}', to_jsonb(@ghost::text)), mt_last_modified, gen_random_uuid(), mt_dotnet_type
            from ledger.mt_doc_usagerecord where id = @id
            """, ("ghost", ghost), ("id", RecordKeys.For(account, "u1")));
        await Sql("delete from ledger.mt_doc_usagerecord where id = @id", ("id", missing));
        // the same number to jsonb, but not one the service can read back into a whole number: a difference
        await Sql("update ledger.mt_doc_usagerecord set data = jsonb_set(data, '{amount}', '100.0'::jsonb) where id = @id", ("id", RecordKeys.For(account, "u1")));

        var dry = await Rebuild(new { accountId = account, dryRun = true });
        var differences = Differences(dry);
        differences.ShouldContain($"{account}|reservations|{reservation}|amount|51|50");
        differences.ShouldContain(d => d.StartsWith($"{account}|usage|{ghost}|(document)|", StringComparison.Ordinal) && d.Contains("\"usageId\":\"ghost\""));
        differences.ShouldContain(d => d.StartsWith($"{account}|usage|{missing}|(document)||", StringComparison.Ordinal) && d.Contains("\"usageId\":\"u2\""));
        differences.ShouldContain($"{account}|usage|{RecordKeys.For(account, "u1")}|amount|100.0|100");
        differences.Count.ShouldBe(4, string.Join('\n', differences));

        var real = await Rebuild(new { accountId = account });
        Differences(real).ShouldBe(differences);
        (real.GetProperty("replaced").GetInt32(), real.GetProperty("deleted").GetInt32()).ShouldBe((3, 1));
        (await Sql("select count(*) from ledger.mt_doc_usagerecord where id = @id", ("id", ghost))).ShouldBe(0L);
        (await Sql("select data ->> 'amount' from ledger.mt_doc_usagerecord where id = @id", ("id", missing))).ShouldBe("7");
        (await Sql("select data ->> 'amount' from ledger.mt_doc_reservationrecord where id = @id", ("id", reservation))).ShouldBe("50");
        (await Rebuild(new { accountId = account, dryRun = true })).GetProperty("differencesFound").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task A_document_edited_into_a_shape_the_service_cannot_read_is_a_difference_and_a_server_error_not_the_clients()
    {
        const string account = "rb-unreadable";
        await Story(account);
        var consumed = (string?)await StoredConsumed(account);
        await Sql("update ledger.mt_doc_account set data = jsonb_set(data, '{blocks,base,consumed}', '\"lots\"'::jsonb) where id = @id", ("id", account));

        // reading it fails on the server's side, for a read and for a write with a valid body: a 500 problem, not a 400
        // blaming a field the client never sent
        var read = await Admin.GetAsync($"/v1/accounts/{account}", Ct);
        ((int)read.StatusCode).ShouldBe(500);
        (await read.Content.ReadAsStringAsync(Ct)).ShouldContain("internal-error");
        var write = await Admin.PostJson($"/v1/accounts/{account}/usage", new { usageId = "u-after", amount = 1 });
        ((int)write.StatusCode).ShouldBe(500);
        (await write.Content.ReadAsStringAsync(Ct)).ShouldContain("internal-error");

        // and a snapshot no event explains, in a shape no snapshot can be read from
        var bogus = $"{account}:bogus";
        await Sql("insert into ledger.mt_doc_accountsnapshot (id, data) values (@id, @data::jsonb)",
            ("id", bogus), ("data", $$"""{"id": "{{bogus}}", "accountId": "{{account}}", "version": 1, "instant": "2026-12-03T00:00:00+00:00", "state": "not an account"}"""));

        var dry = await Rebuild(new { accountId = account, dryRun = true });
        var differences = Differences(dry);
        differences.ShouldContain($"{account}|accounts|{account}|blocks.base.consumed|lots|{consumed}");
        differences.ShouldContain(d => d.StartsWith($"{account}|snapshots|{bogus}|(document)|", StringComparison.Ordinal) && d.Contains("not an account"));
        differences.Count.ShouldBe(2, string.Join('\n', differences));
        var real = await Rebuild(new { accountId = account });
        (real.GetProperty("replaced").GetInt32(), real.GetProperty("deleted").GetInt32()).ShouldBe((1, 1));
        (await StoredConsumed(account)).ShouldBe(consumed);
        (await Sql("select count(*) from ledger.mt_doc_accountsnapshot where id = @id", ("id", bogus))).ShouldBe(0L);
        (await Admin.GetAsync($"/v1/accounts/{account}", Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }

    [Fact]
    public async Task Bad_requests_are_problems_and_a_missing_account_is_404()
    {
        await (await Admin.PostJson("/v1/admin/projections/rebuild", new { projection = "nosuch" })).ShouldBeProblem(400, "validation");
        await (await Admin.PostJson("/v1/admin/projections/rebuild", new { accountId = "nobody-here" })).ShouldBeProblem(404, "account-not-found");
        var reader = App.ClientWith(await App.CreateKeyAsync(["ledger:read"]));
        ((int)(await reader.PostJson("/v1/admin/projections/rebuild", new { dryRun = true })).StatusCode).ShouldBe(403);
    }

    [Fact]
    public async Task The_background_check_reports_drift_in_readiness_until_a_rebuild_repairs_it()
    {
        const string account = "rb-drift";
        await Story(account);
        await Rebuild(new { });
        var anonymous = App.ClientWith(null);
        async Task<string?> Ready(Func<JsonElement, bool> condition)
        {
            var response = await anonymous.Get("/health/ready");
            response.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
            var text = await response.Content.ReadAsStringAsync(Ct);
            return condition(JsonDocument.Parse(text).RootElement) ? text : null;
        }
        static JsonElement Projections(JsonElement ready) => ready.GetProperty("checks").GetProperty("projections");
        static bool Found(JsonElement ready, int differences) =>
            Projections(ready).TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
            && data.GetProperty("differencesFound").GetInt32() == differences;

        await Eventually.Until(() => Ready(r => Found(r, 0)), TimeSpan.FromSeconds(20), () => "the drift check never ran clean");
        await Sql("update ledger.mt_doc_account set data = jsonb_set(data, '{blocks,base,held}', '3'::jsonb) where id = @id", ("id", account));

        var drifted = JsonDocument.Parse(await Eventually.Until(() => Ready(r => Found(r, 1)), TimeSpan.FromSeconds(20), () => "no drift reported")).RootElement;
        drifted.GetProperty("status").GetString().ShouldBe("Degraded");
        Projections(drifted).GetProperty("status").GetString().ShouldBe("Degraded");
        Projections(drifted).GetProperty("data").GetProperty("views").GetProperty("accounts").GetInt32().ShouldBe(1);
        drifted.GetRawText().ShouldNotContain(account); // anonymous: counts, not accounts

        (await Rebuild(new { accountId = account })).GetProperty("replaced").GetInt32().ShouldBe(1);
        var clean = JsonDocument.Parse(await Eventually.Until(() => Ready(r => Found(r, 0)), TimeSpan.FromSeconds(20), () => "drift still reported after the rebuild")).RootElement;
        clean.GetProperty("status").GetString().ShouldBe("Healthy");
    }

    private async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [GeneratedCodeTests.ServiceAssembly, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["LEDGER_DATABASE"] = App.ConnectionString, ["DOTNET_NOLOGO"] = "1", ["COLUMNS"] = "200" },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await output + await error);
    }
}
