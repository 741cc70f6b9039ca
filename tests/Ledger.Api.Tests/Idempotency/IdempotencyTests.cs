using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Npgsql;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Idempotency;

public sealed class IdempotencyApp(PostgresServer server) : SharedApp(server, "idempotency");

/// <summary>
/// DESIGN "HTTP API v1": every mutating POST accepts Idempotency-Key (up to 255 chars, scoped to the API key); the same
/// key and body replays the first response for at least 24 h; another body is 422 idempotency-key-reused; while the
/// first runs, 409 request-in-progress; the key is recorded in the same transaction as the write.
/// </summary>
public sealed class IdempotencyTests(IdempotencyApp fixture) : IClassFixture<IdempotencyApp>
{
    private const string Header = "Idempotency-Key";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private async Task<string> FundedAccount(string prefix, long credits = 1000)
    {
        var id = Raw.NewAccountId(prefix);
        await App.OpenAccountAsync(id, "starter"); // spending stops at zero; 100 requests/min leaves room for bursts
        await App.GrantAsync(id, credits);
        return id;
    }

    private static Task<HttpResponseMessage> Usage(HttpClient client, string accountId, string body, string key) =>
        client.Post($"/v1/accounts/{accountId}/usage", body, "application/json", (Header, key));

    private static string NewKey() => "idem-" + Guid.NewGuid().ToString("N");

    private async Task<long> Events(string accountId, string type)
    {
        var rows = await App.Query("select count(*) as n from ledger.mt_events where stream_id = @id and type = @type",
            ("id", accountId), ("type", type));
        return (long)rows.Single()["n"]!;
    }

    private async Task<long> Records(string key)
    {
        var rows = await App.Query("select count(*) as n from ledger.mt_doc_idempotencyrecord where id like @pattern",
            ("pattern", "%:" + key));
        return (long)rows.Single()["n"]!;
    }

    private static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.SequenceEqual(["true"]);

    [Fact]
    public async Task The_same_key_and_body_replays_the_first_status_and_bytes_and_has_one_effect()
    {
        var id = await FundedAccount("idem-replay");
        var before = await LedgerTotals.Of(App, id);
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();

        var first = await Usage(writer, id, """{"amount":10,"feature":"ai"}""", key);
        var second = await Usage(writer, id, """{"amount":10,"feature":"ai"}""", key);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        var firstBytes = await first.Content.ReadAsByteArrayAsync(Ct);
        (await second.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(firstBytes);
        second.Content.Headers.ContentType?.MediaType.ShouldBe(first.Content.Headers.ContentType?.MediaType);
        Replayed(first).ShouldBeFalse();
        Replayed(second).ShouldBeTrue();

        (await LedgerTotals.Of(App, id)).ShouldBe(before with
        {
            Version = before.Version + 1, Consumed = before.Consumed + 10, Available = before.Available - 10,
        });
        (await Events(id, "usage_recorded")).ShouldBe(1);

        // The event carries the key it was written under.
        var headers = await App.Query("select headers::text as h from ledger.mt_events where stream_id = @id and type = 'usage_recorded'", ("id", id));
        headers.Single()["h"].ShouldBeOfType<string>().ShouldContain(key);
    }

    [Fact]
    public async Task The_same_key_with_another_body_or_path_is_422_and_changes_nothing()
    {
        var id = await FundedAccount("idem-reused");
        var other = await FundedAccount("idem-reused-other");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        (await Usage(writer, id, """{"amount":10}""", key)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var before = await LedgerTotals.Of(App, id);
        var otherBefore = await LedgerTotals.Of(App, other);

        var differentBody = await Usage(writer, id, """{"amount":11}""", key);
        var problem = await differentBody.ShouldBeProblem(422, "idempotency-key-reused");
        problem.GetProperty("status").GetInt32().ShouldBe(422);
        Replayed(differentBody).ShouldBeFalse();

        await (await Usage(writer, other, """{"amount":10}""", key)).ShouldBeProblem(422, "idempotency-key-reused");
        await (await writer.Post($"/v1/accounts/{id}/reservations", """{"amount":10}""", "application/json", (Header, key)))
            .ShouldBeProblem(422, "idempotency-key-reused");

        (await LedgerTotals.Of(App, id)).ShouldBe(before);
        (await LedgerTotals.Of(App, other)).ShouldBe(otherBefore);
        (await Events(id, "usage_recorded")).ShouldBe(1);
    }

    [Fact]
    public async Task Keys_are_scoped_to_the_API_key_so_two_callers_never_see_each_others_replies()
    {
        var id = await FundedAccount("idem-scoped");
        var before = await LedgerTotals.Of(App, id);
        var alice = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var bob = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();

        var fromAlice = await Usage(alice, id, """{"amount":10}""", key);
        var fromBob = await Usage(bob, id, """{"amount":10}""", key);

        fromAlice.StatusCode.ShouldBe(HttpStatusCode.Created);
        fromBob.StatusCode.ShouldBe(HttpStatusCode.Created);
        Replayed(fromBob).ShouldBeFalse();
        var aliceUsage = (await fromAlice.Json()).GetProperty("usage").GetProperty("usageId").GetString();
        var bobUsage = (await fromBob.Json()).GetProperty("usage").GetProperty("usageId").GetString();
        bobUsage.ShouldNotBe(aliceUsage);
        (await Records(key)).ShouldBe(2);

        (await LedgerTotals.Of(App, id)).ShouldBe(before with
        {
            Version = before.Version + 2, Consumed = before.Consumed + 20, Available = before.Available - 20,
        });

        // Each replays its own.
        var aliceAgain = await Usage(alice, id, """{"amount":10}""", key);
        Replayed(aliceAgain).ShouldBeTrue();
        (await aliceAgain.Json()).GetProperty("usage").GetProperty("usageId").GetString().ShouldBe(aliceUsage);
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_is_400_and_255_is_accepted()
    {
        var id = await FundedAccount("idem-length");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var before = await LedgerTotals.Of(App, id);

        var tooLong = await Usage(writer, id, """{"amount":10}""", new string('k', 256));
        var problem = await tooLong.ShouldBeProblem(400, "validation");
        problem.GetProperty("errors").TryGetProperty(Header, out _).ShouldBeTrue(problem.GetRawText());
        (await LedgerTotals.Of(App, id)).ShouldBe(before);

        var twoValues = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{id}/usage")
        {
            Content = new StringContent("""{"amount":10}""", System.Text.Encoding.UTF8, "application/json"),
        };
        twoValues.Headers.TryAddWithoutValidation(Header, ["one", "two"]).ShouldBeTrue();
        await (await writer.SendAsync(twoValues, Ct)).ShouldBeProblem(400, "validation");
        (await LedgerTotals.Of(App, id)).ShouldBe(before);

        var longest = new string('k', 245) + Guid.NewGuid().ToString("N")[..10];
        var accepted = await Usage(writer, id, """{"amount":10}""", longest);
        accepted.StatusCode.ShouldBe(HttpStatusCode.Created);
        Replayed(await Usage(writer, id, """{"amount":10}""", longest)).ShouldBeTrue();
        (await LedgerTotals.Of(App, id)).Consumed.ShouldBe(before.Consumed + 10);
    }

    [Fact]
    public async Task The_reply_is_recorded_with_the_write_and_a_rejected_body_records_nothing()
    {
        var id = await FundedAccount("idem-tx");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        var before = await LedgerTotals.Of(App, id);

        var invalid = await Usage(writer, id, """{"amount":0}""", key);
        await invalid.ShouldBeProblem(400, "validation");
        (await Records(key)).ShouldBe(0);
        (await LedgerTotals.Of(App, id)).ShouldBe(before);

        // The fixed body is a new request under the same key, not a reuse.
        var fixedBody = await Usage(writer, id, """{"amount":5}""", key);
        fixedBody.StatusCode.ShouldBe(HttpStatusCode.Created);
        Replayed(fixedBody).ShouldBeFalse();
        (await Records(key)).ShouldBe(1);
        var record = (await App.Query("select data::text as d from ledger.mt_doc_idempotencyrecord where id like @p", ("p", "%:" + key)))
            .Single()["d"].ShouldBeOfType<string>();
        // An account write stores its outcome (the receipt its answers are rendered from), in the write's transaction.
        var receipt = JsonDocument.Parse(JsonDocument.Parse(record).RootElement.GetProperty("receipt").GetString()!).RootElement;
        receipt.GetProperty("kind").GetString().ShouldBe("accepted");
        var first = await fixedBody.Content.ReadAsStringAsync(Ct);
        var usageId = JsonDocument.Parse(first).RootElement.GetProperty("usage").GetProperty("usageId").GetString();
        receipt.GetProperty("subject").GetProperty("usage").GetString().ShouldBe(usageId);

        var replay = await Usage(writer, id, """{"amount":5}""", key);
        Replayed(replay).ShouldBeTrue();
        (await replay.Content.ReadAsStringAsync(Ct)).ShouldBe(first);
        (await LedgerTotals.Of(App, id)).ShouldBe(before with
        {
            Version = before.Version + 1, Consumed = before.Consumed + 5, Available = before.Available - 5,
        });
    }

    [Fact]
    public async Task A_rejection_decided_by_the_ledger_is_replayed_as_it_was()
    {
        var id = await FundedAccount("idem-402", credits: 10);
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        var body = Raw.Json(new { amount = (await LedgerTotals.Of(App, id)).Available + 1 });

        var first = await Usage(writer, id, body, key);
        ((int)first.StatusCode).ShouldBeOneOf(402, 422); // insufficient-credits (or a per-request limit)
        first.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        await App.GrantAsync(id, 1_000_000);
        var before = await LedgerTotals.Of(App, id);

        var retry = await Usage(writer, id, body, key);
        retry.StatusCode.ShouldBe(first.StatusCode);
        retry.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        Replayed(retry).ShouldBeTrue();
        (await retry.Content.ReadAsStringAsync(Ct)).ShouldBe(await first.Content.ReadAsStringAsync(Ct));
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
    }

    [Fact]
    public async Task While_the_first_request_runs_the_same_key_answers_409_request_in_progress()
    {
        var id = await FundedAccount("idem-running");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        var before = await LedgerTotals.Of(App, id);

        Task<HttpResponseMessage> first;
        await using (var blocker = new NpgsqlConnection(App.ConnectionString))
        {
            // Hold the account's stream row: the first request gets in, then waits for the lock.
            await blocker.OpenAsync(Ct);
            await using var transaction = await blocker.BeginTransactionAsync(Ct);
            await using (var lockRow = new NpgsqlCommand("select 1 from ledger.mt_streams where id = @id for update", blocker, transaction))
            {
                lockRow.Parameters.AddWithValue("id", id);
                (await lockRow.ExecuteScalarAsync(Ct)).ShouldBe(1);
            }

            first = Usage(writer, id, """{"amount":10}""", key);
            await WaitForALockWaiter(first);

            var meanwhile = await Usage(writer, id, """{"amount":10}""", key);
            await meanwhile.ShouldBeProblem(409, "request-in-progress");
            Replayed(meanwhile).ShouldBeFalse();
            first.IsCompleted.ShouldBeFalse();

            await transaction.RollbackAsync(Ct);
        }

        var firstResponse = await first;
        firstResponse.StatusCode.ShouldBe(HttpStatusCode.Created);
        var after = await Usage(writer, id, """{"amount":10}""", key);
        Replayed(after).ShouldBeTrue();
        (await after.Content.ReadAsStringAsync(Ct)).ShouldBe(await firstResponse.Content.ReadAsStringAsync(Ct));
        (await LedgerTotals.Of(App, id)).ShouldBe(before with
        {
            Version = before.Version + 1, Consumed = before.Consumed + 10, Available = before.Available - 10,
        });
    }

    private async Task WaitForALockWaiter(Task pending)
    {
        var database = new NpgsqlConnectionStringBuilder(App.ConnectionString).Database!;
        await Eventually.Until<object>(async () =>
            {
                if (pending.IsCompleted) Assert.Fail($"the request finished while the stream was locked: {(int)(await (Task<HttpResponseMessage>)pending).StatusCode}");
                var waiting = await App.Query(
                    "select count(*) as n from pg_stat_activity where datname = @db and wait_event_type = 'Lock'", ("db", database));
                return (long)waiting.Single()["n"]! > 0 ? waiting : null;
            },
            TimeSpan.FromSeconds(20), () => "the first request never waited for the account's lock");
    }

    [Fact]
    public async Task Twenty_concurrent_identical_requests_have_exactly_one_effect_and_never_fail()
    {
        var id = await FundedAccount("idem-storm");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        var before = await LedgerTotals.Of(App, id);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Usage(writer, id, """{"amount":7}""", key), Ct)));

        var answers = new List<(int Status, string Body)>();
        foreach (var response in responses) answers.Add(((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct)));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Count()} x {g.Key}")));
        answers.ShouldAllBe(a => a.Status == 201 || a.Status == 409, string.Join("\n", answers));
        var successes = answers.Where(a => a.Status == 201).Select(a => a.Body).Distinct().ToList();
        successes.Count.ShouldBe(1, "every success is the same reply");
        foreach (var conflict in responses.Where(r => (int)r.StatusCode == 409)) await conflict.ShouldBeProblem(409, "request-in-progress");

        (await Events(id, "usage_recorded")).ShouldBe(1);
        (await LedgerTotals.Of(App, id)).ShouldBe(before with
        {
            Version = before.Version + 1, Consumed = before.Consumed + 7, Available = before.Available - 7,
        });
        var replay = await Usage(writer, id, """{"amount":7}""", key);
        Replayed(replay).ShouldBeTrue();
        (await replay.Content.ReadAsStringAsync(Ct)).ShouldBe(successes[0]);
    }

    [Fact]
    public async Task Twenty_concurrent_key_creations_under_one_Idempotency_Key_create_one_key()
    {
        var admin = App.Admin();
        var key = NewKey();
        var name = "storm-" + key;
        var body = Raw.Json(new { name, scopes = new[] { "ledger:read" } });

        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => admin.Post("/v1/admin/api-keys", body, "application/json", (Header, key)), Ct)));

        var answers = new List<(int Status, string Body)>();
        foreach (var response in responses) answers.Add(((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct)));
        answers.ShouldAllBe(a => a.Status == 201 || a.Status == 409, string.Join("\n", answers));
        answers.Where(a => a.Status == 201).Select(a => a.Body).Distinct().Count().ShouldBe(1);

        var list = await (await admin.Get("/v1/admin/api-keys")).Json();
        list.GetProperty("items").EnumerateArray().Count(k => k.GetProperty("name").GetString() == name).ShouldBe(1);
    }

    [Fact]
    public async Task Creating_an_API_key_twice_under_one_Idempotency_Key_returns_the_same_key_once()
    {
        var admin = App.Admin();
        var key = NewKey();
        var name = "once-" + key;
        var body = Raw.Json(new { name, scopes = new[] { "ledger:read" } });

        var first = await admin.Post("/v1/admin/api-keys", body, "application/json", (Header, key));
        var second = await admin.Post("/v1/admin/api-keys", body, "application/json", (Header, key));

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        second.StatusCode.ShouldBe(HttpStatusCode.Created);
        Replayed(second).ShouldBeTrue();
        (await second.Content.ReadAsStringAsync(Ct)).ShouldBe(await first.Content.ReadAsStringAsync(Ct));
        var list = await (await admin.Get("/v1/admin/api-keys")).Json();
        list.GetProperty("items").EnumerateArray().Count(k => k.GetProperty("name").GetString() == name).ShouldBe(1);
    }

    [Fact]
    public async Task A_replay_still_works_23_hours_later()
    {
        var id = await FundedAccount("idem-23h");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();

        var first = await Usage(writer, id, """{"amount":3}""", key);
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        var before = await LedgerTotals.Of(App, id);

        App.Clock.Advance(TimeSpan.FromHours(23));
        var later = await Usage(writer, id, """{"amount":3}""", key);

        later.StatusCode.ShouldBe(HttpStatusCode.Created);
        Replayed(later).ShouldBeTrue();
        (await later.Content.ReadAsStringAsync(Ct)).ShouldBe(await first.Content.ReadAsStringAsync(Ct));
        (await LedgerTotals.Of(App, id)).ShouldBe(before);
        (await Events(id, "usage_recorded")).ShouldBe(1);
    }

    [Fact]
    public async Task Reserve_and_commit_replay_under_their_keys()
    {
        var id = await FundedAccount("idem-holds");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var reserveKey = NewKey();
        var reserve = await writer.Post($"/v1/accounts/{id}/reservations", """{"amount":40}""", "application/json", (Header, reserveKey));
        reserve.StatusCode.ShouldBe(HttpStatusCode.Created);
        var reservationId = (await reserve.Json()).GetProperty("reservation").GetProperty("reservationId").GetString()!;
        var reserveAgain = await writer.Post($"/v1/accounts/{id}/reservations", """{"amount":40}""", "application/json", (Header, reserveKey));
        Replayed(reserveAgain).ShouldBeTrue();
        (await reserveAgain.Json()).GetProperty("reservation").GetProperty("reservationId").GetString().ShouldBe(reservationId);
        (await LedgerTotals.Of(App, id)).Reserved.ShouldBe(40);

        var commitKey = NewKey();
        var commit = await writer.Post($"/v1/accounts/{id}/reservations/{reservationId}/commit", """{"amount":25}""", "application/json", (Header, commitKey));
        commit.StatusCode.ShouldBe(HttpStatusCode.OK);
        var commitAgain = await writer.Post($"/v1/accounts/{id}/reservations/{reservationId}/commit", """{"amount":25}""", "application/json", (Header, commitKey));
        Replayed(commitAgain).ShouldBeTrue();
        (await commitAgain.Content.ReadAsStringAsync(Ct)).ShouldBe(await commit.Content.ReadAsStringAsync(Ct));

        var totals = await LedgerTotals.Of(App, id);
        totals.Reserved.ShouldBe(0);
        totals.Consumed.ShouldBe(25);
        (await Events(id, "credits_reserved")).ShouldBe(1);
        (await Events(id, "reservation_committed")).ShouldBe(1);
    }

    [Fact]
    public async Task After_the_retention_a_key_may_be_used_for_a_new_request()
    {
        var id = await FundedAccount("idem-expired");
        var writer = App.ClientWith(await App.CreateKeyAsync(["ledger:write"]));
        var key = NewKey();
        (await Usage(writer, id, """{"amount":3}""", key)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var before = await LedgerTotals.Of(App, id);

        App.Clock.Advance(TimeSpan.FromHours(49));
        var reused = await Usage(writer, id, """{"amount":4}""", key);

        reused.StatusCode.ShouldBe(HttpStatusCode.Created, await reused.Content.ReadAsStringAsync(Ct));
        Replayed(reused).ShouldBeFalse();
        (await LedgerTotals.Of(App, id)).Consumed.ShouldBe(before.Consumed + 4);
    }

    [Fact]
    public async Task After_the_retention_creating_a_key_under_an_old_Idempotency_Key_is_not_a_500()
    {
        var admin = App.Admin();
        var key = NewKey();
        var body = Raw.Json(new { name = "expired-" + key, scopes = new[] { "ledger:read" } });
        (await admin.Post("/v1/admin/api-keys", body, "application/json", (Header, key))).StatusCode.ShouldBe(HttpStatusCode.Created);

        App.Clock.Advance(TimeSpan.FromHours(49));
        var again = await admin.Post("/v1/admin/api-keys", body, "application/json", (Header, key));

        ((int)again.StatusCode).ShouldBeLessThan(500, await again.Content.ReadAsStringAsync(Ct));
        again.StatusCode.ShouldBe(HttpStatusCode.Created);
    }
}
