using System.Diagnostics;
using System.Text.Json;
using Ledger.Api.Integrity;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Codegen;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Integrity;

public sealed class TamperApp(PostgresServer server) : SharedApp(server, "tamper");

/// <summary>
/// Issue 12, item 3 (ADR 45): each event's hash covers its type, data, metadata and the previous hash; verify recomputes the
/// chain from the rows PostgreSQL holds and names the first break. Tampering is done the way an attacker with database access
/// would: SQL on <c>ledger.mt_events</c>, never through the service.
/// </summary>
public sealed class TamperEvidenceTests(TamperApp fixture) : IClassFixture<TamperApp>
{
    private LedgerApp App => fixture.App;
    private HttpClient Admin { get; } = fixture.App.Admin();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An account with a purchase and <paramref name="usages"/> usage events (ten requests in flight at a time).</summary>
    private async Task<string> AccountWithHistory(string prefix, int usages)
    {
        var account = Raw.NewAccountId(prefix);
        await App.OpenAccountAsync(account, "pro");
        await App.GrantAsync(account, 5_000, "purchase");
        for (var i = 0; i < usages; i += 10)
            await Task.WhenAll(Enumerable.Range(i, Math.Min(10, usages - i)).Select(async n =>
                await (await Admin.PostJson($"/v1/accounts/{account}/usage",
                    new { usageId = $"u-{n}", amount = 1 + n % 7, feature = "ai", metadata = new { request = $"req-{n}" } })).ShouldBe(201)));
        return account;
    }

    private async Task<JsonElement> Verify(string account, HttpClient? client = null) =>
        await (await (client ?? Admin).GetAsync($"/v1/accounts/{account}/verify", Ct)).ShouldBe(200);

    private static void ShouldBreakAt(JsonElement verdict, long version, string reason)
    {
        verdict.GetProperty("status").GetString().ShouldBe("broken", verdict.ToString());
        var first = verdict.GetProperty("firstBreak");
        first.GetProperty("version").GetInt64().ShouldBe(version, verdict.ToString());
        first.GetProperty("reason").GetString().ShouldBe(reason, verdict.ToString());
    }

    private async Task<string> StoredHash(string account, long version) =>
        (string)(await App.Query("select headers->>'hash' as h from ledger.mt_events where stream_id = @id and version = @v",
            ("id", account), ("v", version))).Single()["h"]!;

    [Fact]
    public async Task An_untouched_long_stream_written_by_concurrent_requests_verifies_intact_and_every_event_carries_its_hash()
    {
        var account = await AccountWithHistory("chain-long", 240);
        var verdict = await Verify(account);
        verdict.GetProperty("status").GetString().ShouldBe("intact", verdict.ToString());
        verdict.GetProperty("firstBreak").ValueKind.ShouldBe(JsonValueKind.Null);
        var version = verdict.GetProperty("version").GetInt64();
        verdict.GetProperty("events").GetInt64().ShouldBe(version);
        version.ShouldBeGreaterThanOrEqualTo(244); // opened, period, allowance, purchase, 240 usages
        var head = verdict.GetProperty("head").GetString()!;
        head.ShouldMatch("^[0-9a-f]{64}$");
        verdict.GetProperty("recordedHead").GetString().ShouldBe(head);
        head.ShouldBe(await StoredHash(account, version));
        var unhashed = await App.Query("select count(*) as n from ledger.mt_events where stream_id = @id and not headers ? 'hash'", ("id", account));
        ((long)unhashed.Single()["n"]!).ShouldBe(0);
    }

    [Fact]
    public async Task The_hash_is_the_documented_sha256_of_the_canonical_event_and_its_predecessor()
    {
        var account = await AccountWithHistory("chain-recipe", 2);
        var rows = await App.Query("""
            select version, type, data::text as data, headers::text as headers, correlation_id, causation_id
            from ledger.mt_events where stream_id = @id order by version
            """, ("id", account));
        string? previous = null;
        foreach (var row in rows)
        {
            // recomputed here from the ADR's recipe, independently of EventHash
            var headers = JsonDocument.Parse((string)row["headers"]!).RootElement;
            var canonical = "{\"data\":" + EventHash.CanonicalText(JsonDocument.Parse((string)row["data"]!).RootElement)
                + ",\"metadata\":{\"causationId\":" + JsonSerializer.Serialize((string?)row["causation_id"])
                + ",\"correlationId\":" + JsonSerializer.Serialize((string?)row["correlation_id"])
                + ",\"headers\":{" + string.Join(",", headers.EnumerateObject().Where(h => h.Name != "hash").OrderBy(h => h.Name, StringComparer.Ordinal)
                    .Select(h => JsonSerializer.Serialize(h.Name) + ":" + EventHash.CanonicalText(h.Value))) + "}}"
                + ",\"previous\":" + (previous is null ? "null" : $"\"{previous}\"")
                + ",\"stream\":" + JsonSerializer.Serialize(account) + ",\"type\":\"" + row["type"] + "\",\"version\":" + row["version"] + "}";
            var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));
            headers.GetProperty("hash").GetString().ShouldBe(expected, $"version {row["version"]}: {canonical}");
            previous = expected;
        }
        EventHash.CanonicalText(JsonDocument.Parse("""{"b":[1, 2.50, "x"],"a":{"d":null,"c":true}}""").RootElement)
            .ShouldBe("""{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}""");
    }

    [Fact]
    public async Task An_event_whose_data_is_edited_in_postgres_is_named_with_the_expected_and_stored_hash_by_the_api_and_the_command_line()
    {
        var account = await AccountWithHistory("chain-edit", 30);
        var target = (long)(await App.Query(
            "select version from ledger.mt_events where stream_id = @id and type = 'usage_recorded' order by version offset 12 limit 1", ("id", account))).Single()["version"]!;
        var stored = await StoredHash(account, target);
        (await Verify(account)).GetProperty("status").GetString().ShouldBe("intact");

        await App.Query("update ledger.mt_events set data = jsonb_set(data, '{amount}', to_jsonb((data->>'amount')::bigint + 1000)) where stream_id = @id and version = @v returning version",
            ("id", account), ("v", target));

        var verdict = await Verify(account);
        ShouldBreakAt(verdict, target, "hash-mismatch");
        var first = verdict.GetProperty("firstBreak");
        first.GetProperty("storedHash").GetString().ShouldBe(stored);
        first.GetProperty("expectedHash").GetString().ShouldNotBe(stored);
        first.GetProperty("expectedHash").GetString()!.ShouldMatch("^[0-9a-f]{64}$");

        var cli = await Cli(App.ConnectionString, "verify", "--account", account, "--json");
        cli.ExitCode.ShouldBe(1, cli.Output);
        var json = JsonDocument.Parse(cli.Output).RootElement;
        json.GetProperty("firstBreak").GetProperty("version").GetInt64().ShouldBe(target);
        json.GetProperty("firstBreak").GetProperty("storedHash").GetString().ShouldBe(stored);
        var text = await Cli(App.ConnectionString, "verify", "--account", account);
        text.ExitCode.ShouldBe(1);
        text.Output.ShouldContain($"first break at version {target} (hash-mismatch)");
    }

    [Fact]
    public async Task Metadata_type_and_the_last_event_rewritten_with_a_recomputed_hash_are_all_found()
    {
        var account = await AccountWithHistory("chain-meta", 6);
        await App.Query("update ledger.mt_events set headers = jsonb_set(headers, '{actor}', '\"someone-else\"') where stream_id = @id and version = 5 returning version",
            ("id", account));
        ShouldBreakAt(await Verify(account), 5, "hash-mismatch");

        var other = await AccountWithHistory("chain-type", 6);
        await App.Query("update ledger.mt_events set type = 'credits_granted' where stream_id = @id and version = 6 returning version", ("id", other));
        ShouldBreakAt(await Verify(other), 6, "hash-mismatch");

        // an attacker who knows the recipe edits the last event and stores its recomputed hash: the head the account keeps differs
        var last = await AccountWithHistory("chain-head", 4);
        var verdict = await Verify(last);
        var version = verdict.GetProperty("version").GetInt64();
        await App.Query("update ledger.mt_events set data = jsonb_set(data, '{amount}', to_jsonb((data->>'amount')::bigint + 1000)) where stream_id = @id and version = @v returning version",
            ("id", last), ("v", version));
        var forged = (await Verify(last)).GetProperty("firstBreak").GetProperty("expectedHash").GetString()!;
        await App.Query("update ledger.mt_events set headers = jsonb_set(headers, '{hash}', to_jsonb(@h::text)) where stream_id = @id and version = @v returning version",
            ("id", last), ("v", version), ("h", forged));
        var after = await Verify(last);
        ShouldBreakAt(after, version, "head-mismatch");
        after.GetProperty("recordedHead").GetString().ShouldBe(verdict.GetProperty("head").GetString());
    }

    [Fact]
    public async Task A_deleted_event_is_named_by_its_version_in_the_middle_and_at_the_end_of_the_stream()
    {
        var account = await AccountWithHistory("chain-delete", 12);
        await App.Query("delete from ledger.mt_events where stream_id = @id and version = 9 returning version", ("id", account));
        var verdict = await Verify(account);
        ShouldBreakAt(verdict, 9, "missing-event");
        verdict.GetProperty("firstBreak").GetProperty("storedHash").ValueKind.ShouldBe(JsonValueKind.Null);

        var tail = await AccountWithHistory("chain-delete-last", 5);
        var version = (await Verify(tail)).GetProperty("version").GetInt64();
        await App.Query("delete from ledger.mt_events where stream_id = @id and version = @v returning version", ("id", tail), ("v", version));
        ShouldBreakAt(await Verify(tail), version, "missing-event");

        // renumbering the later events to hide the gap does not help: the version is hashed
        var renumbered = await AccountWithHistory("chain-renumber", 6);
        await App.Query("delete from ledger.mt_events where stream_id = @id and version = 5 returning version", ("id", renumbered));
        await App.Query("update ledger.mt_events set version = version - 1 where stream_id = @id and version > 5 returning version", ("id", renumbered));
        ShouldBreakAt(await Verify(renumbered), 5, "hash-mismatch");
    }

    [Fact]
    public async Task Concurrent_writes_from_two_service_nodes_to_one_account_keep_one_valid_chain()
    {
        var account = await AccountWithHistory("chain-race", 0);
        await using var second = App.StartAnotherNode();
        var clients = new[] { Admin, second.Admin() };
        await Task.WhenAll(Enumerable.Range(0, 60).Select(async n =>
            await (await clients[n % 2].PostJson($"/v1/accounts/{account}/usage", new { usageId = $"race-{n}", amount = 3, feature = "ai" })).ShouldBe(201)));
        var verdict = await Verify(account);
        verdict.GetProperty("status").GetString().ShouldBe("intact", verdict.ToString());
        verdict.GetProperty("events").GetInt64().ShouldBe(64);
        var hashes = await App.Query("select count(distinct headers->>'hash') as n from ledger.mt_events where stream_id = @id", ("id", account));
        ((long)hashes.Single()["n"]!).ShouldBe(64);
    }

    [Fact]
    public async Task Streams_written_before_hashing_are_chained_from_their_first_event_by_the_next_write_and_at_start()
    {
        var written = await AccountWithHistory("legacy-write", 5);
        var idle = await AccountWithHistory("legacy-idle", 5);
        var intact = (await Verify(written)).GetProperty("head").GetString();
        foreach (var account in new[] { written, idle })
        {
            await App.Query("update ledger.mt_events set headers = headers - 'hash' where stream_id = @id returning version", ("id", account));
            await App.Query("update ledger.mt_doc_account set data = data - 'chainHead' where id = @id returning id", ("id", account));
            var legacy = await Verify(account);
            legacy.GetProperty("status").GetString().ShouldBe("unchained", legacy.ToString());
        }

        // the next write chains the whole stream in its own transaction, then appends on top
        await (await Admin.PostJson($"/v1/accounts/{written}/usage", new { amount = 2, feature = "ai" })).ShouldBe(201);
        var chained = await Verify(written);
        chained.GetProperty("status").GetString().ShouldBe("intact", chained.ToString());
        chained.GetProperty("events").GetInt64().ShouldBe(10);
        (await StoredHash(written, 9)).ShouldBe(intact); // the same recipe gives the same chain

        // an account nobody writes to is chained when a node starts
        await using var restarted = App.StartAnotherNode();
        await Eventually.Until(async () => (await Verify(idle)).GetProperty("status").GetString() == "intact" ? "ok" : null,
            TimeSpan.FromSeconds(20), () => "the idle legacy account was not chained at start");
    }

    [Fact]
    public async Task A_bound_key_verifies_its_own_account_only_and_an_unknown_account_is_404()
    {
        var account = await AccountWithHistory("chain-bound", 1);
        var bound = App.ClientWith(await App.CreateKeyAsync(["ledger:read"], account));
        (await Verify(account, bound)).GetProperty("status").GetString().ShouldBe("intact");
        var other = await AccountWithHistory("chain-bound-other", 1);
        await (await bound.GetAsync($"/v1/accounts/{other}/verify", Ct)).ShouldBeProblem(404, "account-not-found");
        await (await Admin.GetAsync($"/v1/accounts/{Raw.NewAccountId("nobody")}/verify", Ct)).ShouldBeProblem(404, "account-not-found");
        var store = App.Services.GetRequiredService<IDocumentStore>();
        (await ChainVerifier.Verify(store, account, Ct))!.Status.ShouldBe(ChainVerdict.Intact);
    }

    private sealed record Run(int ExitCode, string Output);

    private static async Task<Run> Cli(string database, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [GeneratedCodeTests.ServiceAssembly, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            Environment = { ["LEDGER_DATABASE"] = database, ["DOTNET_NOLOGO"] = "1", ["COLUMNS"] = "300" },
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return new Run(process.ExitCode, await output + await error);
    }
}
