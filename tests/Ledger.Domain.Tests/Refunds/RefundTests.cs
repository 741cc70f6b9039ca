namespace Ledger.Domain.Tests.Refunds;

public class RefundTests
{
    /// <summary>u1 consumed 50: promo 30 (drawn first), then buy 20.</summary>
    private static readonly object[] UsedFromTwoBlocks =
    [
        Opened(), Granted("promo", 30, GrantSource.Promo, expiresAt: Hour(1)), Granted("buy", 100),
        Used("u1", 50, [D("promo", 30), D("buy", 20)], Sec(1)),
    ];

    /// <summary>r1 held 60 (promo 30, buy 30) and committed 40 (promo 30, buy 10).</summary>
    private static readonly object[] CommittedFromTwoBlocks =
    [
        Opened(), Granted("promo", 30, GrantSource.Promo, expiresAt: Hour(1)), Granted("buy", 100),
        Reserved("r1", 60, [D("promo", 30), D("buy", 30)], Sec(1)),
        Committed("r1", 40, [D("promo", 30), D("buy", 10)], [D("buy", 20)], Sec(2)),
    ];

    [Fact]
    public void A_refund_returns_credits_to_the_blocks_that_paid_last_drawn_first()
    {
        var spec = Given(UsedFromTwoBlocks)
            .When(Do.RefundUsage("f1", "u1", 10, "failed call"), Sec(10))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 10, [D("buy", 10)], Sec(10), "failed call", consumedAt: Sec(1)));

        spec.Balance.ShouldBe(new Balance(Granted: 130, Consumed: 50, 0, 0, Refunded: 10, 0, Available: 90, 0, 0));
        spec.Records.Usage("u1")!.Refunded.ShouldBe(10);
        spec.Records.Refund("f1").ShouldNotBeNull();

        spec.When(Do.RefundUsage("f2", "u1", 25), Sec(11))
            .Then(Refunded("f2", RefundSourceKind.Usage, "u1", 25, [D("buy", 10), D("promo", 15)], Sec(11), consumedAt: Sec(1)));
        spec.State.Blocks["buy"].Refunded.ShouldBe(20);
        spec.State.Blocks["promo"].Refunded.ShouldBe(15);
    }

    [Fact]
    public void Refunds_never_exceed_what_the_source_consumed_across_several_refunds()
    {
        var spec = Given(UsedFromTwoBlocks)
            .When(Do.RefundUsage("f1", "u1", 20), Sec(10)).Then(Refunded("f1", RefundSourceKind.Usage, "u1", 20, [D("buy", 20)], Sec(10), consumedAt: Sec(1)))
            .When(Do.RefundUsage("f2", "u1", 31), Sec(11)).ThenRejected(RejectionCodes.RefundExceedsConsumed);

        spec.Rejection.Extensions!["consumed"].ShouldBe(50L);
        spec.Rejection.Extensions!["refunded"].ShouldBe(20L);
        spec.Rejection.Extensions!["requested"].ShouldBe(31L);

        spec.When(Do.RefundUsage("f2", "u1", 30), Sec(12)).Then(Refunded("f2", RefundSourceKind.Usage, "u1", 30, [D("promo", 30)], Sec(12), consumedAt: Sec(1)));
        spec.When(Do.RefundUsage("f3", "u1", 1), Sec(13)).ThenRejected(RejectionCodes.RefundExceedsConsumed);
        spec.Balance.Refunded.ShouldBe(50);
        spec.Balance.Available.ShouldBe(130);
    }

    [Fact]
    public void A_commit_refunds_up_to_what_it_consumed_not_what_it_held()
    {
        var spec = Given(CommittedFromTwoBlocks)
            .When(Do.RefundCommit("f1", "r1", 41), Sec(10)).ThenRejected(RejectionCodes.RefundExceedsConsumed);
        spec.When(Do.RefundCommit("f1", "r1", 40), Sec(10))
            .Then(Refunded("f1", RefundSourceKind.Reservation, "r1", 40, [D("buy", 10), D("promo", 30)], Sec(10), consumedAt: Sec(2)));
        spec.Records.Reservation("r1")!.Refunded.ShouldBe(40);
    }

    [Fact]
    public void Pending_and_released_reservations_consumed_nothing_to_refund()
    {
        object[] pending = [Opened(), Granted("g1", 100), Reserved("r1", 60, [D("g1", 60)], Sec(1))];
        Given(pending).When(Do.RefundCommit("f1", "r1", 1), Sec(10)).ThenRejected(RejectionCodes.RefundExceedsConsumed);
        Given([.. pending, Released("r1", [D("g1", 60)], Sec(2))])
            .When(Do.RefundCommit("f1", "r1", 1), Sec(10)).ThenRejected(RejectionCodes.RefundExceedsConsumed);
    }

    [Fact]
    public void Refunding_an_unknown_source_is_not_found()
    {
        Given(UsedFromTwoBlocks).When(Do.RefundUsage("f1", "nope", 1), Sec(10)).ThenRejected(RejectionCodes.UsageNotFound);
        Given(UsedFromTwoBlocks).When(Do.RefundCommit("f1", "nope", 1), Sec(10)).ThenRejected(RejectionCodes.ReservationNotFound);
        // A usage id is not a reservation id.
        Given(UsedFromTwoBlocks).When(Do.RefundCommit("f1", "u1", 1), Sec(10)).ThenRejected(RejectionCodes.ReservationNotFound);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(Limits.MaxAmount + 1)]
    public void Refund_amounts_outside_1_to_MaxAmount_are_invalid(long amount) =>
        Given(UsedFromTwoBlocks).When(Do.RefundUsage("f1", "u1", amount), Sec(10)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void The_same_refund_again_is_a_replay_even_when_nothing_is_left_to_refund()
    {
        object[] refunded = [.. UsedFromTwoBlocks, Refunded("f1", RefundSourceKind.Usage, "u1", 50, [D("buy", 20), D("promo", 30)], Sec(10), "r")];
        Given(refunded).When(Do.RefundUsage("f1", "u1", 50, "r"), Sec(20)).ThenReplayed();
    }

    [Fact]
    public void The_same_refund_id_with_another_body_is_an_id_conflict_naming_the_fields()
    {
        object[] refunded = [.. UsedFromTwoBlocks, Refunded("f1", RefundSourceKind.Usage, "u1", 10, [D("buy", 10)], Sec(10), "r")];
        var spec = Given(refunded).When(Do.RefundUsage("f1", "u1", 11, "other"), Sec(20)).ThenRejected(RejectionCodes.IdConflict);
        ((IEnumerable<string>)spec.Rejection.Extensions!["fields"]!).ShouldBe(["amount", "reason"]);

        var source = Given(refunded).When(Do.RefundCommit("f1", "u1", 10, "r"), Sec(20)).ThenRejected(RejectionCodes.IdConflict);
        ((IEnumerable<string>)source.Rejection.Extensions!["fields"]!).ShouldBe(["source"]);
    }

    [Fact]
    public void A_refund_to_an_expired_block_is_recorded_but_returns_nothing_spendable()
    {
        // promo was spent to the last credit before its expiry at 1 h, so it expired with no event.
        var spec = Given(UsedFromTwoBlocks)
            .When(Do.RefundUsage("f1", "u1", 50), Hour(2))
            .Then(
                Refunded("f1", RefundSourceKind.Usage, "u1", 50, [D("buy", 20), D("promo", 30)], Hour(2), consumedAt: Sec(1)),
                Expired("promo", 30, Hour(2)));

        spec.Balance.ShouldBe(new Balance(Granted: 130, Consumed: 50, Expired: 30, 0, Refunded: 50, 0, Available: 100, 0, 0));
        spec.Records.Usage("u1")!.Refunded.ShouldBe(50);
    }

    [Fact]
    public void A_refund_to_a_voided_block_is_recorded_and_voided_at_once()
    {
        var spec = Given([.. UsedFromTwoBlocks, Voided("buy", 80, Sec(5))])
            .When(Do.RefundUsage("f1", "u1", 15), Sec(10))
            .Then(
                Refunded("f1", RefundSourceKind.Usage, "u1", 15, [D("buy", 15)], Sec(10), consumedAt: Sec(1)),
                VoidedOnRelease("buy", 15, Sec(10)));

        spec.Balance.Available.ShouldBe(0);
        spec.Balance.Voided.ShouldBe(95);
    }
}
