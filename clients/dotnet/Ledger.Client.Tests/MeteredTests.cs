using Shouldly;
using Xunit;

namespace Ledger.Client.Tests;

public sealed class MeteredTests(LedgerService service)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> NewAccount(string prefix)
    {
        var accountId = $"{prefix}-{Guid.NewGuid():N}"[..20];
        await service.Client().CreateAccountAsync(new CreateAccountRequest(accountId, "starter"), cancellationToken: Ct); // 10,000 credits
        return accountId;
    }

    [Fact]
    public async Task A_call_that_succeeds_commits_its_actual_cost_not_the_estimate()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-ok");
        var answer = await ledger.MeteredAsync(accountId, new MeteredOptions(300, "ai"), async (hold, ct) =>
        {
            (await ledger.GetBalanceAsync(accountId, cancellationToken: ct)).Reserved.ShouldBe(300);
            return (120L, $"done {hold.ReservationId}");
        }, Ct);
        answer.ShouldStartWith("done mtr_");
        var balance = await ledger.GetBalanceAsync(accountId, cancellationToken: Ct);
        balance.Available.ShouldBe(10_000 - 120);
        balance.Consumed.ShouldBe(120);
        balance.Reserved.ShouldBe(0);
    }

    [Fact]
    public async Task A_call_that_throws_releases_its_hold_and_rethrows()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-throw");
        string? reservationId = null;
        var thrown = await Should.ThrowAsync<InvalidOperationException>(ledger.MeteredAsync(accountId, new MeteredOptions(300, "ai"),
            (hold, _) => { reservationId = hold.ReservationId; throw new InvalidOperationException("model overloaded"); }, Ct));
        thrown.Message.ShouldBe("model overloaded");
        var reservation = await ledger.GetReservationAsync(accountId, reservationId!, Ct);
        reservation.Status.ShouldBe("released");
        reservation.ReleaseReason.ShouldBe("error: model overloaded");
        (await ledger.GetBalanceAsync(accountId, cancellationToken: Ct)).Available.ShouldBe(10_000);
    }

    [Fact]
    public async Task On_an_account_without_credits_a_typed_402_is_thrown_and_the_operation_never_runs()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-empty");
        await ledger.RecordUsageAsync(accountId, new UsageRequest(10_000, Feature: "ai"), cancellationToken: Ct);
        var ran = false;
        var error = await Should.ThrowAsync<InsufficientCreditsException>(ledger.MeteredAsync(accountId, new MeteredOptions(50, "ai"),
            (_, _) => { ran = true; return Task.FromResult(50L); }, Ct));
        error.Status.ShouldBe(402);
        error.Code.ShouldBe("insufficient-credits");
        error.Problem.GetProperty("requested").GetInt64().ShouldBe(50);
        ran.ShouldBeFalse();
    }

    [Fact]
    public async Task A_call_that_outlives_its_ttl_keeps_its_hold_alive_then_commits()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-long");
        Hold? seen = null;
        var extensions = 0;
        await ledger.MeteredAsync(accountId, new MeteredOptions(200, "ai") { TtlSeconds = 3 }, async (hold, ct) =>
        {
            seen = hold;
            await Task.Delay(TimeSpan.FromSeconds(5), ct); // 1.7 ttls
            extensions = hold.Extensions;
            return 150L;
        }, Ct);
        extensions.ShouldBeGreaterThanOrEqualTo(2);
        var reservation = await ledger.GetReservationAsync(accountId, seen!.ReservationId, Ct);
        reservation.Status.ShouldBe("committed");
        reservation.Committed.ShouldBe(150);
    }

    [Fact]
    public async Task A_commit_whose_answer_is_lost_is_retried_with_the_same_key_and_applied_once()
    {
        var accountId = await NewAccount("cs-drop");
        string? reservationId = null;
        await using (var proxy = new DroppingProxy(service.BaseAddress, "/commit"))
        {
            await service.Client(proxy.Address).MeteredAsync(accountId, new MeteredOptions(300, "ai"),
                (hold, _) => { reservationId = hold.ReservationId; return Task.FromResult(250L); }, Ct);
            proxy.Dropped.ShouldBe(1, "the proxy dropped the first commit answer");
        }
        var ledger = service.Client();
        (await ledger.GetBalanceAsync(accountId, cancellationToken: Ct)).Consumed.ShouldBe(250);
        var commits = new List<AccountEventView>();
        await foreach (var e in ledger.EventsAsync(accountId, limit: 2, cancellationToken: Ct))
            if (e.Type == "reservation_committed") commits.Add(e);
        commits.Count.ShouldBe(1);
        commits[0].Metadata.IdempotencyKey.ShouldBe($"{reservationId}:commit");
    }

    [Fact]
    public async Task A_retry_after_a_crash_with_the_same_reservation_id_resolves_the_same_hold()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-crash");
        var reservationId = $"job-{Guid.NewGuid():N}";
        // The crashed call got this far: its reserve (as the helper sends it), then nothing.
        await ledger.ReserveAsync(accountId, new ReserveRequest(300, reservationId, 300, "ai"), idempotencyKey: $"{reservationId}:reserve", cancellationToken: Ct);
        await ledger.MeteredAsync(accountId, new MeteredOptions(300, "ai") { ReservationId = reservationId }, (hold, _) =>
        {
            hold.ReservationId.ShouldBe(reservationId);
            return Task.FromResult(100L);
        }, Ct);
        var balance = await ledger.GetBalanceAsync(accountId, cancellationToken: Ct);
        (balance.Consumed, balance.Reserved).ShouldBe((100, 0));
        (await ledger.EventsAsync(accountId, cancellationToken: Ct).CountAsync(e => e.Type == "credits_reserved", Ct)).ShouldBe(1);
    }

    [Fact]
    public async Task A_timeout_cancels_the_operation_releases_the_hold_with_reason_timeout()
    {
        var ledger = service.Client();
        var accountId = await NewAccount("cs-timeout");
        string? reservationId = null;
        await Should.ThrowAsync<TimeoutException>(ledger.MeteredAsync(accountId, new MeteredOptions(100, "ai") { Timeout = TimeSpan.FromMilliseconds(300) },
            async (hold, ct) => { reservationId = hold.ReservationId; await Task.Delay(TimeSpan.FromSeconds(30), ct); return 100L; }, Ct));
        var reservation = await ledger.GetReservationAsync(accountId, reservationId!, Ct);
        reservation.Status.ShouldBe("released");
        reservation.ReleaseReason.ShouldBe("timeout");
    }
}
