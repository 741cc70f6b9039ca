namespace Ledger.Domain.Tests.Reservations;

/// <summary>Three blocks spent in the order promo (30), plan (50), buy (100): 180 credits.</summary>
public abstract class ThreeBlocks
{
    protected static readonly object[] Blocks =
        [Opened(), Granted("promo", 30, GrantSource.Promo), Granted("plan", 50, GrantSource.Plan), Granted("buy", 100)];

    /// <summary>r1 holds 60 (promo 30, plan 30) from T0 for 300 s.</summary>
    protected static Specification WithHold(params object[] more) =>
        Given([.. Blocks, Reserved("r1", 60, [D("promo", 30), D("plan", 30)]), .. more]);
}

public class ReserveTests : ThreeBlocks
{
    [Fact]
    public void A_hold_earmarks_credits_in_drain_order()
    {
        var spec = Given(Blocks)
            .When(Do.Reserve("r1", 60, ttl: 120), Sec(1))
            .Then(Reserved("r1", 60, [D("promo", 30), D("plan", 30)], Sec(1), ttl: 120));

        spec.Balance.ShouldBe(new Balance(Granted: 180, 0, 0, 0, 0, Reserved: 60, Available: 120, 0, 0));
        spec.State.Blocks["promo"].Held.ShouldBe(30);
        spec.State.Blocks["plan"].Held.ShouldBe(30);
        spec.Records.Reservation("r1")!.Status.ShouldBe(ReservationStatus.Pending);
    }

    [Fact]
    public void A_second_hold_takes_what_the_first_left()
    {
        var spec = WithHold().When(Do.Reserve("r2", 40), Sec(1)).Then(Reserved("r2", 40, [D("plan", 20), D("buy", 20)], Sec(1)));
        spec.Balance.Reserved.ShouldBe(100);
        spec.Balance.Available.ShouldBe(80);
    }

    [Fact]
    public void There_are_no_partial_holds()
    {
        var spec = WithHold().When(Do.Reserve("r2", 121), Sec(1)).ThenRejected(RejectionCodes.InsufficientCredits);

        spec.Rejection.Extensions!["available"].ShouldBe(120L);
        spec.Rejection.Extensions!["requested"].ShouldBe(121L);
        spec.Records.Reservation("r2").ShouldBeNull();
        spec.When(Do.Reserve("r2", 120), Sec(1)).Then(Reserved("r2", 120, [D("plan", 20), D("buy", 100)], Sec(1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(Limits.MaxTtlSeconds + 1)]
    public void Ttl_outside_1s_to_24h_is_invalid(int ttl) =>
        Given(Blocks).When(Do.Reserve("r1", 10, ttl), Sec(1)).ThenRejected(RejectionCodes.Validation);

    [Theory]
    [InlineData(1)]
    [InlineData(Limits.DefaultTtlSeconds)]
    [InlineData(Limits.MaxTtlSeconds)]
    public void Ttl_from_1s_to_24h_is_valid(int ttl) =>
        Given(Blocks).When(Do.Reserve("r1", 10, ttl), Sec(1)).Then(Reserved("r1", 10, [D("promo", 10)], Sec(1), ttl));

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    [InlineData(Limits.MaxAmount + 1)]
    public void Amounts_outside_1_to_MaxAmount_are_invalid(long amount) =>
        Given(Opened(), Granted("g1", Limits.MaxAmount)).When(Do.Reserve("r1", amount), Sec(1)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void MaxAmount_itself_can_be_held_and_committed() =>
        Given(Opened(), Granted("g1", Limits.MaxAmount))
            .When(Do.Reserve("r1", Limits.MaxAmount), Sec(1))
            .Then(Reserved("r1", Limits.MaxAmount, [D("g1", Limits.MaxAmount)], Sec(1)))
            .When(Do.Commit("r1", Limits.MaxAmount), Sec(2))
            .Then(Committed("r1", Limits.MaxAmount, [D("g1", Limits.MaxAmount)], [], Sec(2)))
            .Balance.Consumed.ShouldBe(Limits.MaxAmount);

    [Fact]
    public void The_same_reservation_again_is_a_replay_even_after_it_resolved()
    {
        WithHold().When(Do.Reserve("r1", 60), Sec(1)).ThenReplayed();
        WithHold(Released("r1", [D("promo", 30), D("plan", 30)], Sec(2))).When(Do.Reserve("r1", 60), Sec(3)).ThenReplayed();
        WithHold(Extended("r1", 900, Sec(2))).When(Do.Reserve("r1", 60), Sec(3)).ThenReplayed(); // the ttl asked for, not the extended one
    }

    [Fact]
    public void The_same_reservation_id_with_another_ttl_is_an_id_conflict()
    {
        var spec = WithHold().When(Do.Reserve("r1", 60, ttl: 999), Sec(1)).ThenRejected(RejectionCodes.IdConflict);
        ((IEnumerable<string>)spec.Rejection.Extensions!["fields"]!).ShouldBe(["ttlSeconds"]);
    }

    [Fact]
    public void The_same_reservation_id_with_another_body_is_an_id_conflict_naming_the_fields()
    {
        var spec = WithHold()
            .When(Do.Reserve("r1", 61, feature: "sync", metadata: new Dictionary<string, string> { ["model"] = "m" }), Sec(1))
            .ThenRejected(RejectionCodes.IdConflict);
        ((IEnumerable<string>)spec.Rejection.Extensions!["fields"]!).ShouldBe(["amount", "feature", "metadata"]);

        var other = WithHold().When(Do.Reserve("r1", 60, feature: null), Sec(1)).ThenRejected(RejectionCodes.IdConflict);
        ((IEnumerable<string>)other.Rejection.Extensions!["fields"]!).ShouldBe(["feature"]);
    }

    [Fact]
    public void An_expired_hold_stops_counting_as_reserved_at_once_before_its_event_is_written()
    {
        var spec = WithHold();
        spec.BalanceAt(Sec(299)).Reserved.ShouldBe(60);
        spec.BalanceAt(Sec(300)).Reserved.ShouldBe(0);
        spec.BalanceAt(Sec(300)).Available.ShouldBe(180);
        spec.State.Holds.ShouldContainKey("r1");
    }
}

public class CommitTests : ThreeBlocks
{
    [Fact]
    public void Committing_the_hold_amount_consumes_it_all()
    {
        var spec = WithHold()
            .When(Do.Commit("r1"), Sec(10))
            .Then(Committed("r1", 60, [D("promo", 30), D("plan", 30)], [], Sec(10)) with { RequestedAmount = null });

        spec.Balance.ShouldBe(new Balance(180, Consumed: 60, 0, 0, 0, Reserved: 0, Available: 120, 0, 0));
        var record = spec.Records.Reservation("r1")!;
        record.Status.ShouldBe(ReservationStatus.Committed);
        record.Variance.ShouldBe(0);
    }

    [Fact]
    public void A_partial_commit_consumes_earmarked_blocks_in_order_and_releases_the_rest_in_one_event()
    {
        var spec = WithHold()
            .When(Do.Commit("r1", 40, receipt: "rcpt-1"), Sec(10))
            .Then(Committed("r1", 40, [D("promo", 30), D("plan", 10)], [D("plan", 20)], Sec(10), receipt: "rcpt-1"));

        spec.Balance.ShouldBe(new Balance(180, Consumed: 40, 0, 0, 0, Reserved: 0, Available: 140, 0, 0));
        spec.Records.Reservation("r1")!.Variance.ShouldBe(-20);
        spec.Records.Reservation("r1")!.ReleasedAmount.ShouldBe(20);
    }

    [Fact]
    public void Committing_zero_releases_everything() =>
        WithHold()
            .When(Do.Commit("r1", 0), Sec(10))
            .Then(Committed("r1", 0, [], [D("promo", 30), D("plan", 30)], Sec(10)))
            .Balance.Available.ShouldBe(180);

    [Fact]
    public void A_commit_above_the_hold_draws_the_excess_from_available_credits_atomically()
    {
        var spec = WithHold()
            .When(Do.Commit("r1", 100), Sec(10))
            .Then(Committed("r1", 100, [D("promo", 30), D("plan", 50), D("buy", 20)], [], Sec(10)));

        spec.Balance.ShouldBe(new Balance(180, Consumed: 100, 0, 0, 0, Reserved: 0, Available: 80, 0, 0));
        spec.Records.Reservation("r1")!.Variance.ShouldBe(40);
    }

    [Fact]
    public void A_commit_above_the_hold_without_enough_credits_fails_and_the_hold_stays_pending()
    {
        var spec = WithHold()
            .When(Do.Commit("r1", 181), Sec(10))
            .ThenRejected(RejectionCodes.InsufficientCredits);

        spec.Rejection.Extensions!["available"].ShouldBe(120L);
        spec.Rejection.Extensions!["requested"].ShouldBe(121L);
        spec.Rejection.Extensions!["held"].ShouldBe(60L);
        spec.Records.Reservation("r1")!.Status.ShouldBe(ReservationStatus.Pending);
        spec.Balance.Reserved.ShouldBe(60);

        spec.When(Do.Commit("r1", 180), Sec(11))
            .Then(Committed("r1", 180, [D("promo", 30), D("plan", 50), D("buy", 100)], [], Sec(11)));
    }

    [Fact]
    public void A_commit_consumes_its_earmarked_blocks_even_when_cheaper_credits_arrived_since() =>
        WithHold(Granted("cheap", 100, priority: 0, at: Sec(5)))
            .When(Do.Commit("r1", 70), Sec(10))
            .Then(Committed("r1", 70, [D("promo", 30), D("plan", 30), D("cheap", 10)], [], Sec(10)));

    [Theory]
    [InlineData(-1L)]
    [InlineData(Limits.MaxAmount + 1)]
    public void Commit_amounts_outside_0_to_MaxAmount_are_invalid(long amount) =>
        WithHold().When(Do.Commit("r1", amount), Sec(10)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void Committing_an_unknown_reservation_is_not_found() =>
        Given(Blocks).When(Do.Commit("nope", 1), Sec(1)).ThenRejected(RejectionCodes.ReservationNotFound);

    [Fact]
    public void Repeating_a_commit_with_the_same_arguments_is_a_replay()
    {
        WithHold(Committed("r1", 40, [D("promo", 30), D("plan", 10)], [D("plan", 20)], Sec(10), receipt: "x"))
            .When(Do.Commit("r1", 40, "x"), Sec(20)).ThenReplayed();
        // A first commit without an amount committed the hold amount; repeating it either way is the same.
        var omitted = Committed("r1", 60, [D("promo", 30), D("plan", 30)], [], Sec(10)) with { RequestedAmount = null };
        WithHold(omitted).When(Do.Commit("r1"), Sec(20)).ThenReplayed();
        WithHold(omitted).When(Do.Commit("r1", 60), Sec(20)).ThenReplayed();
        // ... even long after the hold's ttl.
        WithHold(omitted).When(Do.Commit("r1"), Day(2)).ThenReplayed();
    }

    [Fact]
    public void A_conflicting_commit_repeat_names_the_committed_state()
    {
        var committed = Committed("r1", 40, [D("promo", 30), D("plan", 10)], [D("plan", 20)], Sec(10), receipt: "x");
        WithHold(committed).When(Do.Commit("r1", 41, "x"), Sec(20)).ThenRejected(RejectionCodes.ReservationCommitted)
            .Rejection.Extensions!["state"].ShouldBe("committed");
        WithHold(committed).When(Do.Commit("r1", 40, "y"), Sec(20)).ThenRejected(RejectionCodes.ReservationCommitted);
        WithHold(committed).When(Do.Release("r1"), Sec(20)).ThenRejected(RejectionCodes.ReservationCommitted);
        WithHold(committed).When(Do.Extend("r1", 60), Sec(20)).ThenRejected(RejectionCodes.ReservationCommitted);
    }

    [Fact]
    public void A_committed_hold_never_expires_later() =>
        WithHold(Committed("r1", 40, [D("promo", 30), D("plan", 10)], [D("plan", 20)], Sec(10)))
            .When(Do.CatchUp(), Day(1))
            .Then();
}

public class ReleaseTests : ThreeBlocks
{
    [Fact]
    public void Release_returns_everything_held()
    {
        var spec = WithHold()
            .When(Do.Release("r1", "cancelled"), Sec(10))
            .Then(Released("r1", [D("promo", 30), D("plan", 30)], Sec(10), "cancelled"));

        spec.Balance.ShouldBe(new Balance(180, 0, 0, 0, 0, Reserved: 0, Available: 180, 0, 0));
        spec.State.Blocks.Values.Sum(b => b.Held).ShouldBe(0);
        spec.Records.Reservation("r1")!.Status.ShouldBe(ReservationStatus.Released);
    }

    [Fact]
    public void Repeating_a_release_is_a_replay_and_a_conflicting_one_names_the_released_state()
    {
        var released = Released("r1", [D("promo", 30), D("plan", 30)], Sec(10), "cancelled");
        WithHold(released).When(Do.Release("r1", "cancelled"), Sec(20)).ThenReplayed();
        WithHold(released).When(Do.Release("r1", "other"), Sec(20)).ThenRejected(RejectionCodes.ReservationReleased);
    }

    [Fact]
    public void Commit_after_release_is_refused_as_released()
    {
        var spec = WithHold(Released("r1", [D("promo", 30), D("plan", 30)], Sec(10)))
            .When(Do.Commit("r1", 10), Sec(20))
            .ThenRejected(RejectionCodes.ReservationReleased);
        spec.Rejection.Extensions!["state"].ShouldBe("released");
        spec.When(Do.Extend("r1", 60), Sec(20)).ThenRejected(RejectionCodes.ReservationReleased);
    }
}

public class HoldExpiryTests : ThreeBlocks
{
    [Fact]
    public void A_commit_after_the_ttl_is_refused_as_expired_even_before_ReservationExpired_is_written()
    {
        var spec = WithHold().When(Do.Commit("r1", 10), Sec(300)).ThenRejected(RejectionCodes.ReservationExpired);
        spec.Rejection.Extensions!["state"].ShouldBe("expired");
        spec.State.Holds.ShouldContainKey("r1"); // rejected: even time's events are not written
    }

    [Fact]
    public void A_commit_one_second_before_the_ttl_is_accepted() =>
        WithHold().When(Do.Commit("r1", 10), Sec(299))
            .Then(Committed("r1", 10, [D("promo", 10)], [D("promo", 20), D("plan", 30)], Sec(299)));

    [Fact]
    public void Time_writes_ReservationExpired_at_the_ttl_along_with_an_accepted_command()
    {
        var spec = WithHold()
            .When(Do.Use("u1", 1), Min(10))
            .Then(HoldExpired("r1", [D("promo", 30), D("plan", 30)], Sec(300)), Used("u1", 1, [D("promo", 1)], Min(10)));

        spec.Records.Reservation("r1")!.Status.ShouldBe(ReservationStatus.Expired);
        spec.When(Do.Commit("r1", 10), Min(11)).ThenRejected(RejectionCodes.ReservationExpired);
        spec.When(Do.Commit("r1"), Min(11)).ThenRejected(RejectionCodes.ReservationExpired);
        spec.When(Do.Release("r1"), Min(11)).ThenRejected(RejectionCodes.ReservationExpired);
        spec.When(Do.Extend("r1", 60), Min(11)).ThenRejected(RejectionCodes.ReservationExpired);
    }

    [Fact]
    public void Release_and_extend_after_the_ttl_are_refused_as_expired()
    {
        WithHold().When(Do.Release("r1"), Sec(301)).ThenRejected(RejectionCodes.ReservationExpired);
        WithHold().When(Do.Extend("r1", 600), Sec(301)).ThenRejected(RejectionCodes.ReservationExpired);
    }

    [Fact]
    public void Holds_expire_in_ttl_order()
    {
        var spec = WithHold(Reserved("r0", 10, [D("plan", 10)], Sec(1), ttl: 60))
            .When(Do.CatchUp(), Hour(1))
            .Then(HoldExpired("r0", [D("plan", 10)], Sec(61)), HoldExpired("r1", [D("promo", 30), D("plan", 30)], Sec(300)));
        spec.State.Holds.ShouldBeEmpty();
    }
}

public class ExtendTests : ThreeBlocks
{
    [Fact]
    public void Extend_renews_a_pending_hold_from_now()
    {
        var spec = WithHold().When(Do.Extend("r1", 600), Sec(200)).Then(Extended("r1", 600, Sec(200)));

        spec.State.Holds["r1"].ExpiresAt.ShouldBe(Sec(800));
        spec.BalanceAt(Sec(799)).Reserved.ShouldBe(60);
        spec.BalanceAt(Sec(800)).Reserved.ShouldBe(0);
        spec.When(Do.Commit("r1", 60), Sec(500)).Then(Committed("r1", 60, [D("promo", 30), D("plan", 30)], [], Sec(500)));
    }

    [Fact]
    public void Extend_can_also_shorten()
    {
        var spec = WithHold().When(Do.Extend("r1", 1), Sec(10)).Then(Extended("r1", 1, Sec(10)));
        spec.When(Do.Commit("r1", 60), Sec(11)).ThenRejected(RejectionCodes.ReservationExpired);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Limits.MaxTtlSeconds + 1)]
    public void Extend_ttl_outside_1s_to_24h_is_invalid(int ttl) =>
        WithHold().When(Do.Extend("r1", ttl), Sec(10)).ThenRejected(RejectionCodes.Validation);

    [Theory]
    [InlineData(1)]
    [InlineData(Limits.MaxTtlSeconds)]
    public void Extend_ttl_from_1s_to_24h_is_valid(int ttl) =>
        WithHold().When(Do.Extend("r1", ttl), Sec(10)).Then(Extended("r1", ttl, Sec(10)));

    [Fact]
    public void Extending_an_unknown_reservation_is_not_found() =>
        WithHold().When(Do.Extend("nope", 10), Sec(10)).ThenRejected(RejectionCodes.ReservationNotFound);
}
