using Ledger.Domain.Stripe;

namespace Ledger.Domain.Tests.Stripe;

/// <summary>
/// Refunds of a purchase (DESIGN "charge.refunded -> void what is left of the purchased block"), in part or in full:
/// the credits taken back are the refunded share of the block, from what is left unheld; what was already spent stays
/// spent and is reported. The processor's refunded amount is cumulative, so an older total arriving late changes nothing.
/// </summary>
public class PurchaseRefundTests
{
    /// <summary>A 500-credit pack bought for 29.00 (2,900 minor units), spent after a 30-credit promotion.</summary>
    private static readonly object[] Pack = [Opened(), Granted("promo", 30, GrantSource.Promo), Granted("pack", 500)];

    private static RefundPurchase Refund(long refundedMinor, string grantId = "pack") => new(grantId, refundedMinor, 2_900, "refund");

    private static PurchasePartlyRefunded PartlyRefunded(long refundedMinor, long voided, long notRecovered, DateTimeOffset at, long held = 0) =>
        new(Acc, "pack", refundedMinor, 2_900, voided, notRecovered, "refund", at, held);

    private static RefundedCreditsReclaimed Reclaimed(long amount, DateTimeOffset at) => new(Acc, "pack", amount, at);

    [Fact]
    public void Half_the_money_back_takes_half_the_credits_back()
    {
        var spec = Given(Pack).When(Refund(1_450), Sec(1)).Then(PartlyRefunded(1_450, 250, 0, Sec(1)));

        spec.Balance.ShouldBe(new Balance(Granted: 530, 0, 0, Voided: 250, 0, 0, Available: 280, 0, 0));
        spec.State.Blocks["pack"].IsVoided.ShouldBeFalse(); // the rest stays spendable
        spec.When(Do.Use("u1", 280), Sec(2)).Then(Used("u1", 280, [D("promo", 30), D("pack", 250)], Sec(2)));
    }

    [Fact]
    public void The_share_is_rounded_down_so_the_customer_keeps_a_fraction_of_a_credit() =>
        Given(Pack).When(Refund(100), Sec(1)).Then(PartlyRefunded(100, 17, 0, Sec(1))); // 500 × 100 / 2,900 = 17.24

    [Fact]
    public void Refunds_are_cumulative_each_takes_what_the_earlier_ones_did_not()
    {
        Given(Pack)
            .When(Refund(1_000), Sec(1)).Then(PartlyRefunded(1_000, 172, 0, Sec(1)))  // 172.4
            .When(Refund(2_000), Sec(2)).Then(PartlyRefunded(2_000, 172, 0, Sec(2)))  // 344.8 in all
            .Balance.Voided.ShouldBe(344);
    }

    [Fact]
    public void An_older_smaller_total_arriving_late_is_a_replay() =>
        Given([.. Pack, PartlyRefunded(2_000, 344, 0, Sec(1))]).When(Refund(1_000), Sec(2)).ThenReplayed();

    [Fact]
    public void Credits_already_spent_stay_spent_and_are_reported_as_not_recovered()
    {
        var spec = Given([.. Pack, Used("u1", 430, [D("promo", 30), D("pack", 400)], Sec(1))])
            .When(Refund(1_450), Sec(2))
            .Then(PartlyRefunded(1_450, 100, 150, Sec(2)));

        spec.Balance.ShouldBe(new Balance(Granted: 530, Consumed: 430, 0, Voided: 100, 0, 0, Available: 0, 0, 0));
    }

    [Fact]
    public void Held_credits_are_not_taken_from_the_caller_holding_them_and_stay_spent_if_committed()
    {
        var spec = Given([.. Pack, Reserved("r1", 330, [D("promo", 30), D("pack", 300)], Sec(1))])
            .When(Refund(1_450), Sec(2))
            .Then(PartlyRefunded(1_450, 200, 0, Sec(2), held: 50));

        spec.Balance.Reserved.ShouldBe(330);
        spec.When(Do.Commit("r1"), Sec(3)).Then(Committed("r1", 330, [D("promo", 30), D("pack", 300)], [], Sec(3)) with { RequestedAmount = null });
        spec.State.Blocks["pack"].RefundOwed.ShouldBe(50); // spent now: taken back only if credits return to the block
    }

    [Fact]
    public void Held_credits_the_refund_claims_are_taken_back_when_the_hold_releases_them()
    {
        // All 500 held when half the money comes back: nothing can be taken now, all 250 as the hold is released.
        var spec = Given(Opened(), Granted("pack", 500), Reserved("r1", 500, [D("pack", 500)], Sec(1)))
            .When(Refund(1_450), Sec(2))
            .Then(PartlyRefunded(1_450, 0, 0, Sec(2), held: 250))
            .When(Do.Release("r1"), Sec(3))
            .Then(Released("r1", [D("pack", 500)], Sec(3)), Reclaimed(250, Sec(3)));

        spec.Balance.ShouldBe(new Balance(Granted: 500, 0, 0, Voided: 250, 0, 0, Available: 250, 0, 0));
        spec.State.Blocks["pack"].RefundOwed.ShouldBe(0);
    }

    [Fact]
    public void A_hold_that_expires_gives_the_refund_its_credits_as_well()
    {
        var spec = Given(Opened(), Granted("pack", 500), Reserved("r1", 400, [D("pack", 400)], Sec(1), ttl: 60))
            .When(Refund(2_000), Sec(2))
            .Then(PartlyRefunded(2_000, 100, 0, Sec(2), held: 244)) // 344 owed: 100 unheld now, 244 of the 400 held
            .When(Do.CatchUp(), Sec(100))
            .Then(HoldExpired("r1", [D("pack", 400)], Sec(61)), Reclaimed(244, Sec(61)));
        spec.Balance.Available.ShouldBe(156);
    }

    [Fact]
    public void Spent_credits_a_refund_claims_are_taken_back_if_a_usage_refund_returns_them()
    {
        var spec = Given([.. Pack, Used("u1", 530, [D("promo", 30), D("pack", 500)], Sec(1))])
            .When(Refund(1_450), Sec(2))
            .Then(PartlyRefunded(1_450, 0, 250, Sec(2)))
            .When(Do.RefundUsage("f1", "u1", 100), Sec(3))
            .Then(Refunded("f1", RefundSourceKind.Usage, "u1", 100, [D("pack", 100)], Sec(3), consumedAt: Sec(1)), Reclaimed(100, Sec(3)));

        spec.Balance.Available.ShouldBe(0);
        spec.State.Blocks["pack"].RefundOwed.ShouldBe(150);
    }

    [Fact]
    public void A_later_refund_counts_what_earlier_ones_still_claim()
    {
        // 250 owed after the first refund, all held; a second refund to 2,000 owes 344 in all: 94 more.
        Given(Opened(), Granted("pack", 500), Reserved("r1", 500, [D("pack", 500)], Sec(1)))
            .When(Refund(1_450), Sec(2)).Then(PartlyRefunded(1_450, 0, 0, Sec(2), held: 250))
            .When(Refund(2_000), Sec(3)).Then(PartlyRefunded(2_000, 0, 0, Sec(3), held: 94))
            .When(Do.Release("r1"), Sec(4)).Then(Released("r1", [D("pack", 500)], Sec(4)), Reclaimed(344, Sec(4)))
            .Balance.Available.ShouldBe(156);
    }

    [Fact]
    public void A_later_full_refund_voids_what_is_left_and_the_block_for_good()
    {
        var spec = Given([.. Pack, PartlyRefunded(1_450, 250, 0, Sec(1))])
            .When(Refund(2_900), Sec(2))
            .Then(Voided("pack", 250, Sec(2), "refund"));

        spec.State.Blocks["pack"].IsVoided.ShouldBeTrue();
        spec.Balance.ShouldBe(new Balance(Granted: 530, 0, 0, Voided: 500, 0, 0, Available: 30, 0, 0));
        spec.When(Refund(1_450), Sec(3)).ThenReplayed();
        spec.When(Refund(2_900), Sec(3)).ThenReplayed();
    }

    [Fact]
    public void A_partial_refund_of_a_block_frozen_by_a_dispute_takes_from_the_frozen_credits()
    {
        var spec = Given([.. Pack, Frozen("pack", Sec(1))]).When(Refund(1_450), Sec(2)).Then(PartlyRefunded(1_450, 250, 0, Sec(2)));
        spec.Balance.ShouldBe(new Balance(Granted: 530, 0, 0, Voided: 250, 0, 0, Available: 30, 0, 0, Frozen: 250));
    }

    [Fact]
    public void A_refund_for_a_grant_that_does_not_exist_is_refused() =>
        Given(Pack).When(Refund(100, grantId: "nope"), Sec(1)).ThenRejected(RejectionCodes.GrantNotFound);

    [Theory]
    [InlineData(0, 2_900)]
    [InlineData(-1, 2_900)]
    [InlineData(100, 0)]
    public void Amounts_that_are_not_positive_are_invalid(long refunded, long charged) =>
        Given(Pack).When(new RefundPurchase("pack", refunded, charged, null), Sec(1)).ThenRejected(RejectionCodes.Validation);
}
