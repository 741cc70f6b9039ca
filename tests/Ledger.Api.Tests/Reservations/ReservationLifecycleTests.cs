using System.Text.Json;
using Ledger.Api.Tests.Balances;
using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Reservations;

/// <summary>Reserve, commit (below, at and above the hold), release, extend and expiry, over HTTP on the real database.</summary>
public sealed class ReservationLifecycleTests(CreditsAppFixture fixture) : IClassFixture<CreditsAppFixture>
{
    private LedgerApp App => fixture.App;
    private HttpClient Client { get; } = fixture.App.Admin();

    private async Task Account(string id, params (string GrantId, long Amount)[] grants)
    {
        await App.OpenAccountAsync(id, CreditsKit.Plan);
        foreach (var (grantId, amount) in grants) await App.GrantAsync(id, amount, grantId: grantId);
    }

    private async Task<JsonElement> Reserve(string account, object body) =>
        await (await Client.PostJson($"/v1/accounts/{account}/reservations", body)).ShouldBe(201);

    private Task<HttpResponseMessage> Commit(string account, string reservationId, object? body) =>
        Client.PostJson($"/v1/accounts/{account}/reservations/{reservationId}/commit", body ?? new { });

    private Task<HttpResponseMessage> Release(string account, string reservationId, string? reason = null) =>
        Client.PostJson($"/v1/accounts/{account}/reservations/{reservationId}/release", new { reason });

    private Task<HttpResponseMessage> Extend(string account, string reservationId, int ttlSeconds) =>
        Client.PostJson($"/v1/accounts/{account}/reservations/{reservationId}/extend", new { ttlSeconds });

    [Fact]
    public async Task A_partial_commit_consumes_that_amount_and_releases_the_rest_in_one_event()
    {
        await Account("partial", ("g1", 1000));

        var reserved = await Reserve("partial", new { reservationId = "r1", amount = 300 });
        var reservation = reserved.GetProperty("reservation");
        Assert.Equal("pending", reservation.GetProperty("status").GetString());
        Assert.Equal([new Drawn("g1", 300)], reservation.GetProperty("held").Draws());
        reserved.GetProperty("balance").ShouldMatch(new ExpectedBalance(1000, Reserved: 300), "after reserving 300");

        var committed = await (await Commit("partial", "r1", new { amount = 120, receiptId = "rcpt-1" })).ShouldBe(200);
        Assert.Equal(120, committed.GetProperty("committed").GetInt64());
        Assert.Equal(180, committed.GetProperty("released").GetInt64());
        Assert.Equal(-180, committed.GetProperty("variance").GetInt64());
        Assert.Equal("committed", committed.GetProperty("reservation").GetProperty("status").GetString());
        Assert.Equal([new Drawn("g1", 120)], committed.GetProperty("reservation").GetProperty("consumed").Draws());
        committed.GetProperty("balance").ShouldMatch(new ExpectedBalance(1000, Consumed: 120), "after committing 120 of 300");

        var read = await Client.ReservationAsync("partial", "r1");
        Assert.Equal("committed", read.GetProperty("status").GetString());
        Assert.Equal(120, read.GetProperty("committed").GetInt64());
        Assert.Equal(180, read.GetProperty("released").GetInt64());
        Assert.Equal("rcpt-1", read.GetProperty("receiptId").GetString());
        (await Client.BalanceAsync("partial")).ShouldMatch(new ExpectedBalance(1000, Consumed: 120), "GET balance after the commit");

        var stream = await App.StreamAsync("partial");
        var commit = Assert.Single(stream, e => e.Type == "reservation_committed");
        Assert.Equal([new Drawn("g1", 120)], commit.Data.GetProperty("consumed").Draws());
        Assert.Equal([new Drawn("g1", 180)], commit.Data.GetProperty("released").Draws());
        Assert.DoesNotContain(stream, e => e.Type == "reservation_released");
    }

    [Fact]
    public async Task A_commit_above_the_hold_draws_the_excess_from_free_credits_in_drain_order()
    {
        await App.OpenAccountAsync("above", CreditsKit.Plan);
        await App.GrantAsync("above", 100, source: "promo", grantId: "promo");     // priority 10: spent first
        await App.GrantAsync("above", 1000, source: "purchase", grantId: "bought"); // priority 50

        var reserved = await Reserve("above", new { reservationId = "r1", amount = 80 });
        Assert.Equal([new Drawn("promo", 80)], reserved.GetProperty("reservation").GetProperty("held").Draws());

        var committed = await (await Commit("above", "r1", new { amount = 250 })).ShouldBe(200);
        Assert.Equal(250, committed.GetProperty("committed").GetInt64());
        Assert.Equal(0, committed.GetProperty("released").GetInt64());
        Assert.Equal(170, committed.GetProperty("variance").GetInt64());
        // the hold's own 80, then the 20 left in the promo block, then 150 from the purchase
        Assert.Equal([new Drawn("promo", 100), new Drawn("bought", 150)],
            committed.GetProperty("reservation").GetProperty("consumed").Draws());
        var expected = new ExpectedBalance(1100, Consumed: 250);
        committed.GetProperty("balance").ShouldMatch(expected, "after committing 250 on a hold of 80");
        (await Client.BalanceAsync("above")).ShouldMatch(expected, "GET balance after the commit");
        Assert.Equal(0, (await Client.BalanceAsync("above")).Block("promo").GetProperty("remaining").GetInt64());
        Assert.Single(await App.StreamAsync("above"), e => e.Type == "reservation_committed");
    }

    [Fact]
    public async Task A_commit_above_the_hold_without_enough_credits_is_402_and_the_hold_stays_pending()
    {
        await Account("short", ("g1", 100));
        await Reserve("short", new { reservationId = "r1", amount = 80 });
        var before = await App.StreamAsync("short");

        var problem = await (await Commit("short", "r1", new { amount = 150 })).ShouldBeProblem(402, "insufficient-credits");
        Assert.Equal(20, problem.GetProperty("available").GetInt64());
        Assert.Equal(70, problem.GetProperty("requested").GetInt64()); // the excess beyond the hold
        Assert.Equal(80, problem.GetProperty("held").GetInt64());

        Assert.Equal("pending", (await Client.ReservationAsync("short", "r1")).GetProperty("status").GetString());
        (await Client.BalanceAsync("short")).ShouldMatch(new ExpectedBalance(100, Reserved: 80), "after the refused commit");
        Assert.Equal(before.Count, (await App.StreamAsync("short")).Count);

        // still pending, so it can be committed within what is there
        var committed = await (await Commit("short", "r1", new { amount = 100 })).ShouldBe(200);
        committed.GetProperty("balance").ShouldMatch(new ExpectedBalance(100, Consumed: 100), "after committing all 100");
    }

    [Fact]
    public async Task Reserving_more_than_is_available_is_402_with_available_and_requested_and_holds_nothing()
    {
        await Account("broke", ("g1", 100));
        await Reserve("broke", new { amount = 60 });

        var problem = await (await Client.PostJson("/v1/accounts/broke/reservations", new { amount = 50 }))
            .ShouldBeProblem(402, "insufficient-credits");
        Assert.Equal(40, problem.GetProperty("available").GetInt64());
        Assert.Equal(50, problem.GetProperty("requested").GetInt64());
        (await Client.BalanceAsync("broke")).ShouldMatch(new ExpectedBalance(100, Reserved: 60), "after the refused reserve");
        Assert.Single(await App.StreamAsync("broke"), e => e.Type == "credits_reserved");

        var exact = await Reserve("broke", new { amount = 40 });
        exact.GetProperty("balance").ShouldMatch(new ExpectedBalance(100, Reserved: 100), "after reserving the last 40");
    }

    [Fact]
    public async Task Release_returns_everything_held_once_and_a_later_commit_is_409_reservation_released()
    {
        await Account("release", ("g1", 1000));
        await Reserve("release", new { reservationId = "r1", amount = 250 });

        var first = await Release("release", "r1", "cancelled");
        var released = await first.ShouldBe(200);
        Assert.Equal("released", released.GetProperty("reservation").GetProperty("status").GetString());
        Assert.Equal(250, released.GetProperty("reservation").GetProperty("released").GetInt64());
        Assert.Equal("cancelled", released.GetProperty("reservation").GetProperty("releaseReason").GetString());
        released.GetProperty("balance").ShouldMatch(new ExpectedBalance(1000), "after the release");

        var again = await (await Release("release", "r1", "cancelled")).ShouldBe(200);
        Assert.Equal(released.GetRawText(), again.GetRawText());

        var commit = await (await Commit("release", "r1", new { amount = 10 })).ShouldBeProblem(409, "reservation-released");
        Assert.Equal("released", commit.GetProperty("state").GetString());
        await (await Release("release", "r1", "another reason")).ShouldBeProblem(409, "reservation-released");
        await (await Extend("release", "r1", 60)).ShouldBeProblem(409, "reservation-released");

        Assert.Equal("released", (await Client.ReservationAsync("release", "r1")).GetProperty("status").GetString());
        (await Client.BalanceAsync("release")).ShouldMatch(new ExpectedBalance(1000), "after the refused commit");
        var stream = await App.StreamAsync("release");
        Assert.Single(stream, e => e.Type == "reservation_released");
        Assert.DoesNotContain(stream, e => e.Type == "reservation_committed");
    }

    [Fact]
    public async Task Extend_renews_a_pending_hold_past_its_first_expiry()
    {
        await Account("extend", ("g1", 500));
        CreditsKit.KeepInStepWithRealTime(App);
        var t0 = App.Clock.GetUtcNow();
        var reserved = await Reserve("extend", new { reservationId = "r1", amount = 100, ttlSeconds = 60 });
        Assert.Equal(t0.AddSeconds(60), reserved.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset());

        App.Clock.Advance(TimeSpan.FromSeconds(50));
        var extended = await (await Extend("extend", "r1", 120)).ShouldBe(200);
        Assert.Equal(t0.AddSeconds(170), extended.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(120, extended.GetProperty("reservation").GetProperty("ttlSeconds").GetInt32());

        App.Clock.Advance(TimeSpan.FromSeconds(80)); // t0 + 130: past the first expiry, before the new one
        Assert.Equal("pending", (await Client.ReservationAsync("extend", "r1")).GetProperty("status").GetString());
        (await Client.BalanceAsync("extend")).ShouldMatch(new ExpectedBalance(500, Reserved: 100), "after the first expiry passed");

        await (await Extend("extend", "r1", 0)).ShouldBeProblem(400, "validation");
        await (await Extend("extend", "r1", 86401)).ShouldBeProblem(400, "validation");

        var committed = await (await Commit("extend", "r1", new { amount = 100 })).ShouldBe(200);
        committed.GetProperty("balance").ShouldMatch(new ExpectedBalance(500, Consumed: 100), "after committing the extended hold");
        await (await Extend("extend", "r1", 60)).ShouldBeProblem(409, "reservation-committed");
        var stream = await App.StreamAsync("extend");
        Assert.Single(stream, e => e.Type == "reservation_extended");
        Assert.DoesNotContain(stream, e => e.Type == "reservation_expired");
    }

    [Fact]
    public async Task A_hold_past_its_ttl_reads_expired_at_once_and_every_resolution_is_409_reservation_expired()
    {
        await Account("expire", ("g1", 500));
        CreditsKit.KeepInStepWithRealTime(App); // so the hold's timer is due a minute ahead of the wall clock too

        // Time moves past the ttl; the reads must say expired before the timer writes anything. Should a timer win
        // that race all the same, try again with a new hold.
        string rid = "";
        DateTimeOffset expiresAt = default;
        var readBeforeTimer = false;
        for (var attempt = 0; attempt < 5 && !readBeforeTimer; attempt++)
        {
            rid = $"r{attempt}";
            var reserved = await Reserve("expire", new { reservationId = rid, amount = 200, ttlSeconds = 60 });
            expiresAt = reserved.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset();
            App.Clock.Advance(TimeSpan.FromSeconds(59));
            Assert.Equal("pending", (await Client.ReservationAsync("expire", rid)).GetProperty("status").GetString());
            (await Client.BalanceAsync("expire")).ShouldMatch(new ExpectedBalance(500, Reserved: 200), "1 s before the ttl");

            readBeforeTimer = await CreditsKit.ReadBeforeTimersWriteAsync(App, "expire", TimeSpan.FromSeconds(1), async () =>
            {
                var read = await Client.ReservationAsync("expire", rid);
                Assert.Equal("expired", read.GetProperty("status").GetString());
                Assert.Equal(200, read.GetProperty("released").GetInt64());
                Assert.Equal(expiresAt, read.GetProperty("resolvedAt").GetDateTimeOffset());
                (await Client.BalanceAsync("expire")).ShouldMatch(new ExpectedBalance(500), "at the ttl");
            });
        }
        Assert.True(readBeforeTimer, "in 5 attempts the timer always wrote before the reads");
        var written = await App.StreamAsync("expire");
        Assert.DoesNotContain(written, e => e.Type == "reservation_expired" && e.Data.GetProperty("reservationId").GetString() == rid);

        var commit = await (await Commit("expire", rid, new { amount = 200 })).ShouldBeProblem(409, "reservation-expired");
        Assert.Equal("expired", commit.GetProperty("state").GetString());
        await (await Release("expire", rid)).ShouldBeProblem(409, "reservation-expired");
        await (await Extend("expire", rid, 600)).ShouldBeProblem(409, "reservation-expired");
        Assert.Equal(written.Count, (await App.StreamAsync("expire")).Count); // refusals write nothing

        // the next accepted command writes the expiry first, dated at the ttl, as the timer would have
        var next = await Reserve("expire", new { reservationId = "after", amount = 450 });
        next.GetProperty("balance").ShouldMatch(new ExpectedBalance(500, Reserved: 450), "after reserving again");
        var stream = await App.StreamAsync("expire");
        var expired = Assert.Single(stream, e => e.Type == "reservation_expired" && e.Data.GetProperty("reservationId").GetString() == rid);
        Assert.Equal(expiresAt, expired.Data.GetProperty("expiredAt").GetDateTimeOffset());
        Assert.Equal([new Drawn("g1", 200)], expired.Data.GetProperty("released").Draws());
        Assert.True(expired.Version < stream.Single(e => e.Type == "credits_reserved" && e.Data.GetProperty("reservationId").GetString() == "after").Version);
        Assert.DoesNotContain(stream, e => e.Type is "reservation_committed" or "reservation_released");

        await (await Commit("expire", rid, new { amount = 200 })).ShouldBeProblem(409, "reservation-expired");
        Assert.Equal("expired", (await Client.ReservationAsync("expire", rid)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Repeating_a_commit_with_the_same_arguments_answers_the_first_result_and_writes_nothing()
    {
        await Account("repeat", ("g1", 1000));
        await Reserve("repeat", new { reservationId = "r1", amount = 100 });

        var first = await (await Commit("repeat", "r1", new { amount = 60, receiptId = "rcpt-9" })).ShouldBe(200);
        var second = await (await Commit("repeat", "r1", new { amount = 60, receiptId = "rcpt-9" })).ShouldBe(200);
        Assert.Equal(first.GetRawText(), second.GetRawText());

        var otherAmount = await (await Commit("repeat", "r1", new { amount = 70, receiptId = "rcpt-9" }))
            .ShouldBeProblem(409, "reservation-committed");
        Assert.Equal("committed", otherAmount.GetProperty("state").GetString());
        await (await Commit("repeat", "r1", new { amount = 60, receiptId = "rcpt-other" })).ShouldBeProblem(409, "reservation-committed");
        await (await Release("repeat", "r1")).ShouldBeProblem(409, "reservation-committed");

        // a commit without amount takes all that is held, and repeats the same way
        await Reserve("repeat", new { reservationId = "r2", amount = 40 });
        var all = await (await Commit("repeat", "r2", null)).ShouldBe(200);
        Assert.Equal(40, all.GetProperty("committed").GetInt64());
        Assert.Equal(all.GetRawText(), (await (await Commit("repeat", "r2", null)).ShouldBe(200)).GetRawText());

        (await Client.BalanceAsync("repeat")).ShouldMatch(new ExpectedBalance(1000, Consumed: 100), "after two commits and their repeats");
        Assert.Equal(2, (await App.StreamAsync("repeat")).Count(e => e.Type == "reservation_committed"));
    }

    [Fact]
    public async Task Reusing_a_reservation_id_replays_the_same_body_and_is_409_id_conflict_naming_the_fields_for_another()
    {
        await Account("reuse", ("g1", 1000));
        var body = new { reservationId = "same-id", amount = 100, feature = "ai", metadata = new Dictionary<string, string> { ["model"] = "m1" } };
        var first = await Reserve("reuse", body);

        var replay = await (await Client.PostJson("/v1/accounts/reuse/reservations", body)).ShouldBe(200);
        Assert.Equal(first.GetProperty("reservation").GetRawText(), replay.GetProperty("reservation").GetRawText());

        var both = await (await Client.PostJson("/v1/accounts/reuse/reservations",
                new { reservationId = "same-id", amount = 200, feature = "sync", metadata = new Dictionary<string, string> { ["model"] = "m1" } }))
            .ShouldBeProblem(409, "id-conflict");
        Assert.Equal(["amount", "feature"], both.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        var metadata = await (await Client.PostJson("/v1/accounts/reuse/reservations",
                new { reservationId = "same-id", amount = 100, feature = "ai", metadata = new Dictionary<string, string> { ["model"] = "m2" } }))
            .ShouldBeProblem(409, "id-conflict");
        Assert.Equal(["metadata"], metadata.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));

        (await Client.BalanceAsync("reuse")).ShouldMatch(new ExpectedBalance(1000, Reserved: 100), "one hold, whatever the repeats");
        Assert.Single(await App.StreamAsync("reuse"), e => e.Type == "credits_reserved");
    }

    [Fact]
    public async Task Reusing_a_reservation_id_with_another_ttl_is_409_id_conflict_naming_ttlSeconds()
    {
        await Account("reuse-ttl", ("g1", 1000));
        await Reserve("reuse-ttl", new { reservationId = "r1", amount = 100, ttlSeconds = 60 });

        var problem = await (await Client.PostJson("/v1/accounts/reuse-ttl/reservations", new { reservationId = "r1", amount = 100, ttlSeconds = 3600 }))
            .ShouldBeProblem(409, "id-conflict");
        Assert.Equal(["ttlSeconds"], problem.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));

        // an extend changes the hold's ttl, not what the reserve request was: its retry still replays
        await (await Extend("reuse-ttl", "r1", 600)).ShouldBe(200);
        var replay = await (await Client.PostJson("/v1/accounts/reuse-ttl/reservations", new { reservationId = "r1", amount = 100, ttlSeconds = 60 })).ShouldBe(200);
        Assert.Equal(600, replay.GetProperty("reservation").GetProperty("ttlSeconds").GetInt32());
        await (await Client.PostJson("/v1/accounts/reuse-ttl/reservations", new { reservationId = "r1", amount = 100 })) // default 300
            .ShouldBeProblem(409, "id-conflict");
        Assert.Single(await App.StreamAsync("reuse-ttl"), e => e.Type == "credits_reserved");
    }

    [Fact]
    public async Task Ttl_must_be_between_1_second_and_24_hours()
    {
        await Account("ttl", ("g1", 1000));
        var now = App.Clock.GetUtcNow();

        foreach (var ttl in new[] { 0, -1, 86401 })
        {
            var problem = await (await Client.PostJson("/v1/accounts/ttl/reservations", new { amount = 10, ttlSeconds = ttl }))
                .ShouldBeProblem(400, "validation");
            Assert.True(problem.GetProperty("errors").TryGetProperty("ttlSeconds", out _), problem.GetRawText());
        }
        (await Client.BalanceAsync("ttl")).ShouldMatch(new ExpectedBalance(1000), "after three refused ttls");

        var shortest = await Reserve("ttl", new { amount = 10, ttlSeconds = 1 });
        Assert.Equal(now.AddSeconds(1), shortest.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset());
        var longest = await Reserve("ttl", new { amount = 10, ttlSeconds = 86400 });
        Assert.Equal(now.AddDays(1), longest.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset());
        var byDefault = await Reserve("ttl", new { amount = 10 });
        Assert.Equal(300, byDefault.GetProperty("reservation").GetProperty("ttlSeconds").GetInt32());
        Assert.Equal(now.AddSeconds(300), byDefault.GetProperty("reservation").GetProperty("expiresAt").GetDateTimeOffset());
        byDefault.GetProperty("balance").ShouldMatch(new ExpectedBalance(1000, Reserved: 30), "three accepted holds");
    }

    [Fact]
    public async Task An_unknown_reservation_or_account_is_404()
    {
        await Account("known", ("g1", 100));

        await (await Client.Get("/v1/accounts/known/reservations/nope")).ShouldBeProblem(404, "reservation-not-found");
        await (await Commit("known", "nope", new { amount = 1 })).ShouldBeProblem(404, "reservation-not-found");
        await (await Release("known", "nope")).ShouldBeProblem(404, "reservation-not-found");
        await (await Extend("known", "nope", 60)).ShouldBeProblem(404, "reservation-not-found");

        await (await Client.PostJson("/v1/accounts/ghost/reservations", new { amount = 1 })).ShouldBeProblem(404, "account-not-found");
        await (await Client.Get("/v1/accounts/ghost/balance")).ShouldBeProblem(404, "account-not-found");
        await (await Commit("ghost", "nope", new { amount = 1 })).ShouldBeProblem(404, "account-not-found");
        await (await Release("ghost", "nope")).ShouldBeProblem(404, "account-not-found");
        var read = await Client.Get("/v1/accounts/ghost/reservations/nope");
        Assert.Equal(404, (int)read.StatusCode);

        Assert.Empty(await App.StreamAsync("ghost"));
        (await Client.BalanceAsync("known")).ShouldMatch(new ExpectedBalance(100), "untouched by the 404s");
    }
}
