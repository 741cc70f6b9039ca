namespace Ledger.Domain.Tests.Expiry;

public class GrantExpiryTests
{
    /// <summary>promo: 100 credits expiring at 1 h, spent first; buy: 50 credits that never expire.</summary>
    private static readonly object[] Blocks =
        [Opened(), Granted("promo", 100, GrantSource.Promo, expiresAt: Hour(1)), Granted("buy", 50)];

    [Fact]
    public void A_block_past_its_expiry_is_never_spendable_even_before_GrantExpired_is_written()
    {
        var spec = Given(Blocks);

        spec.BalanceAt(Hour(1).AddTicks(-1)).Available.ShouldBe(150);
        spec.BalanceAt(Hour(1)).ShouldBe(new Balance(Granted: 150, 0, Expired: 100, 0, 0, 0, Available: 50, 0, 0));
        spec.State.Blocks["promo"].Expired.ShouldBe(0); // nothing written yet: the read view applies time virtually

        spec.When(Do.Use("u1", 51), Hour(1)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.When(Do.Reserve("r1", 51), Hour(1)).ThenRejected(RejectionCodes.InsufficientCredits);
    }

    [Fact]
    public void The_last_tick_before_expiry_still_spends_the_block() =>
        Given(Blocks)
            .When(Do.Use("u1", 10), Hour(1).AddTicks(-1))
            .Then(Used("u1", 10, [D("promo", 10)], Hour(1).AddTicks(-1)));

    [Fact]
    public void Expiry_is_written_with_the_next_accepted_command_dated_at_the_expiry_with_the_unspent_amount()
    {
        var spec = Given(Blocks)
            .When(Do.Use("u1", 30), Hour(2))
            .Then(Expired("promo", 100, Hour(1)), Used("u1", 30, [D("buy", 30)], Hour(2)));

        spec.Balance.ShouldBe(new Balance(Granted: 150, Consumed: 30, Expired: 100, 0, 0, 0, Available: 20, 0, 0));
    }

    [Fact]
    public void Expiry_of_a_partly_consumed_block_carries_only_what_is_left_in_it()
    {
        var spec = Given([.. Blocks, Used("u1", 30, [D("promo", 30)], Min(10))])
            .When(Do.CatchUp(), Hour(2))
            .Then(Expired("promo", 70, Hour(1)));

        spec.Balance.ShouldBe(new Balance(150, Consumed: 30, Expired: 70, 0, 0, 0, Available: 50, 0, 0));
    }

    [Fact]
    public void A_fully_spent_block_expires_without_an_event() =>
        Given([.. Blocks, Used("u1", 100, [D("promo", 100)], Min(10))])
            .When(Do.CatchUp(), Hour(2))
            .Then();

    [Fact]
    public void A_block_expires_once()
    {
        var spec = Given([.. Blocks, Expired("promo", 100, Hour(1))]).When(Do.CatchUp(), Hour(2)).Then();
        spec.Balance.Expired.ShouldBe(100);
    }

    [Fact]
    public void Blocks_and_grants_take_time_in_expiry_order()
    {
        var spec = Given(Opened(),
                Granted("b", 10, expiresAt: Hour(2)),
                Granted("a", 10, expiresAt: Hour(3)),
                Granted("c", 10, expiresAt: Hour(1)))
            .When(Do.CatchUp(), Hour(4))
            .Then(Expired("c", 10, Hour(1)), Expired("b", 10, Hour(2)), Expired("a", 10, Hour(3)));
        spec.Balance.Available.ShouldBe(0);
    }
}

public class HeldCreditsExpiryTests
{
    /// <summary>r1 holds 40 of promo (which expires at 1 h) from 50 min, with a ttl of 1 h (until 110 min).</summary>
    private static readonly object[] HeldPromo =
    [
        Opened(), Granted("promo", 100, GrantSource.Promo, expiresAt: Hour(1)), Granted("buy", 50),
        Reserved("r1", 40, [D("promo", 40)], Min(50), ttl: 3600),
    ];

    [Fact]
    public void Block_expiry_takes_only_the_unheld_part()
    {
        var spec = Given(HeldPromo).When(Do.CatchUp(), Min(70)).Then(Expired("promo", 60, Hour(1)));

        spec.Balance.ShouldBe(new Balance(150, 0, Expired: 60, 0, 0, Reserved: 40, Available: 50, 0, 0));
        spec.State.Blocks["promo"].Held.ShouldBe(40);
    }

    [Fact]
    public void The_held_part_released_later_expires_then_as_its_own_event()
    {
        var spec = Given([.. HeldPromo, Expired("promo", 60, Hour(1))])
            .When(Do.Release("r1"), Min(80))
            .Then(Released("r1", [D("promo", 40)], Min(80)), Expired("promo", 40, Min(80)));

        spec.Balance.ShouldBe(new Balance(150, 0, Expired: 100, 0, 0, Reserved: 0, Available: 50, 0, 0));
    }

    [Fact]
    public void A_hold_on_an_expired_block_stays_backed_its_commit_consumes_it_and_the_rest_expires()
    {
        var spec = Given([.. HeldPromo, Expired("promo", 60, Hour(1))])
            .When(Do.Commit("r1", 25), Min(80))
            .Then(Committed("r1", 25, [D("promo", 25)], [D("promo", 15)], Min(80)), Expired("promo", 15, Min(80)));

        spec.Balance.ShouldBe(new Balance(150, Consumed: 25, Expired: 75, 0, 0, 0, Available: 50, 0, 0));
    }

    [Fact]
    public void A_commit_above_a_hold_on_an_expired_block_draws_the_excess_from_live_credits_only() =>
        Given([.. HeldPromo, Expired("promo", 60, Hour(1))])
            .When(Do.Commit("r1", 60), Min(80))
            .Then(Committed("r1", 60, [D("promo", 40), D("buy", 20)], [], Min(80)));

    [Fact]
    public void A_hold_that_expires_after_its_block_gives_its_part_back_to_expiry_at_its_own_ttl()
    {
        // Both timers are overdue when time catches up: the events are those the timers would have
        // written on time, in time order, each dated when it happened.
        var spec = Given(HeldPromo)
            .When(Do.CatchUp(), Hour(3))
            .Then(
                Expired("promo", 60, Hour(1)),
                HoldExpired("r1", [D("promo", 40)], Min(110)),
                Expired("promo", 40, Min(110)));

        spec.Balance.ShouldBe(new Balance(150, 0, Expired: 100, 0, 0, 0, Available: 50, 0, 0));
    }

    [Fact]
    public void A_hold_and_a_block_expiring_together_expire_as_one()
    {
        var spec = Given(Opened(), Granted("promo", 100, expiresAt: Min(5)), Reserved("r1", 40, [D("promo", 40)], T0, ttl: 300))
            .When(Do.CatchUp(), Hour(1))
            .Then(HoldExpired("r1", [D("promo", 40)], Min(5)), Expired("promo", 100, Min(5)));
        spec.Balance.Expired.ShouldBe(100);
    }

    [Fact]
    public void A_rejected_command_writes_none_of_times_events()
    {
        var spec = Given(HeldPromo).When(Do.Use("u1", 51), Hour(3)).ThenRejected(RejectionCodes.InsufficientCredits);
        spec.State.Holds.ShouldContainKey("r1");
        spec.State.Blocks["promo"].Expired.ShouldBe(0);
    }

    [Fact]
    public void What_a_reader_saw_does_not_depend_on_when_the_timers_ran()
    {
        var spec = Given(HeldPromo);
        var direct = spec.BalanceAt(Hour(3));

        spec.When(Do.CatchUp(), Min(70)).Then(Expired("promo", 60, Hour(1)));
        spec.BalanceAt(Hour(3)).ShouldBe(direct);
        spec.When(Do.CatchUp(), Min(115)).Then(HoldExpired("r1", [D("promo", 40)], Min(110)), Expired("promo", 40, Min(110)));
        spec.BalanceAt(Hour(3)).ShouldBe(direct);
    }
}
