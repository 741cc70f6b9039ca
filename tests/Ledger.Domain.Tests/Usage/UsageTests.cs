namespace Ledger.Domain.Tests.Usage;

public class DrainOrderTests
{
    [Fact]
    public void Lower_priority_is_spent_first() =>
        Given(Opened(),
                Granted("buy", 100, GrantSource.Purchase),
                Granted("promo", 100, GrantSource.Promo),
                Granted("plan", 100, GrantSource.Plan),
                Granted("manual", 100, GrantSource.Manual))
            .When(Do.Use("u1", 250), Sec(1))
            .Then(Used("u1", 250, [D("promo", 100), D("plan", 100), D("manual", 50)], Sec(1)));

    [Fact]
    public void Priority_beats_expiry() =>
        Given(Opened(),
                Granted("soon", 10, priority: 50, expiresAt: Hour(1)),
                Granted("never", 10, priority: 10))
            .When(Do.Use("u1", 15), Sec(1))
            .Then(Used("u1", 15, [D("never", 10), D("soon", 5)], Sec(1)));

    [Fact]
    public void At_equal_priority_the_soonest_expiry_goes_first_and_never_expiring_last() =>
        Given(Opened(),
                Granted("a-never", 10, GrantSource.Promo),
                Granted("b-day3", 10, GrantSource.Promo, expiresAt: Day(3)),
                Granted("c-day2", 10, GrantSource.Promo, expiresAt: Day(2)))
            .When(Do.Use("u1", 25), Sec(1))
            .Then(Used("u1", 25, [D("c-day2", 10), D("b-day3", 10), D("a-never", 5)], Sec(1)));

    [Fact]
    public void At_equal_priority_and_expiry_the_oldest_grant_goes_first() =>
        Given(Opened(),
                Granted("a-newer", 10, at: Sec(5)),
                Granted("b-older", 10, at: Sec(1)))
            .When(Do.Use("u1", 15), Min(1))
            .Then(Used("u1", 15, [D("b-older", 10), D("a-newer", 5)], Min(1)));

    [Fact]
    public void At_equal_everything_the_grant_id_decides_ordinally() =>
        Given(Opened(), Granted("b", 10), Granted("a", 10), Granted("B", 10))
            .When(Do.Use("u1", 25), Sec(1))
            .Then(Used("u1", 25, [D("B", 10), D("a", 10), D("b", 5)], Sec(1)));

    [Fact]
    public void Held_voided_expired_and_not_yet_effective_credits_are_skipped()
    {
        var spec = Given(Opened(),
                Granted("held", 10, GrantSource.Promo),
                Granted("void", 10, GrantSource.Promo),
                Granted("expired", 10, GrantSource.Promo, expiresAt: Min(1)),
                Granted("later", 10, GrantSource.Promo, effectiveAt: Hour(1)),
                Granted("free", 10),
                Reserved("r1", 10, [D("held", 10)]),
                Voided("void", 10, Sec(1)),
                Expired("expired", 10, Min(1)))
            .When(Do.Use("u1", 10), Min(2))
            .Then(Used("u1", 10, [D("free", 10)], Min(2)));

        spec.When(Do.Use("u2", 1), Min(3)).ThenRejected(RejectionCodes.InsufficientCredits);
    }
}

public class UsageTests
{
    private static Specification TwoBlocks() => Given(Opened(), Granted("promo", 30, GrantSource.Promo), Granted("buy", 100));

    [Fact]
    public void Usage_deducts_at_once_and_records_its_draws()
    {
        var spec = TwoBlocks()
            .When(Do.Use("u1", 50), Sec(1))
            .Then(Used("u1", 50, [D("promo", 30), D("buy", 20)], Sec(1)));

        spec.Balance.ShouldBe(new Balance(Granted: 130, Consumed: 50, 0, 0, 0, Reserved: 0, Available: 80, 0, 0));
        var record = spec.Records.Usage("u1").ShouldNotBeNull();
        record.Draws.ShouldBe([D("promo", 30), D("buy", 20)]);
        spec.State.Blocks["promo"].Consumed.ShouldBe(30);
        spec.State.Blocks["buy"].Consumed.ShouldBe(20);
    }

    [Fact]
    public void Usage_of_exactly_what_is_available_empties_the_account()
    {
        var spec = TwoBlocks().When(Do.Use("u1", 130), Sec(1)).Then(Used("u1", 130, [D("promo", 30), D("buy", 100)], Sec(1)));
        spec.Balance.Available.ShouldBe(0);
    }

    [Fact]
    public void Usage_beyond_available_is_refused_with_available_and_requested_and_writes_nothing()
    {
        var spec = TwoBlocks().When(Do.Use("u1", 131), Sec(1)).ThenRejected(RejectionCodes.InsufficientCredits);

        spec.Rejection.Extensions!["available"].ShouldBe(130L);
        spec.Rejection.Extensions!["requested"].ShouldBe(131L);
        spec.Records.Usage("u1").ShouldBeNull();
    }

    [Fact]
    public void Held_credits_are_not_available_to_usage()
    {
        var spec = Given(Opened(), Granted("g1", 100), Reserved("r1", 70, [D("g1", 70)]))
            .When(Do.Use("u1", 31), Sec(1))
            .ThenRejected(RejectionCodes.InsufficientCredits);
        spec.Rejection.Extensions!["available"].ShouldBe(30L);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(Limits.MaxAmount + 1)]
    public void Amounts_outside_1_to_MaxAmount_are_invalid(long amount) =>
        Given(Opened(), Granted("g1", Limits.MaxAmount)).When(Do.Use("u1", amount), Sec(1)).ThenRejected(RejectionCodes.Validation);

    [Fact]
    public void MaxAmount_itself_is_a_valid_usage() =>
        Given(Opened(), Granted("g1", Limits.MaxAmount))
            .When(Do.Use("u1", Limits.MaxAmount), Sec(1))
            .Then(Used("u1", Limits.MaxAmount, [D("g1", Limits.MaxAmount)], Sec(1)));

    [Fact]
    public void The_same_usage_again_is_a_replay_even_when_credits_ran_out_since() =>
        Given(Opened(), Granted("g1", 10), Used("u1", 10, [D("g1", 10)], Sec(1)))
            .When(Do.Use("u1", 10), Sec(2))
            .ThenReplayed();

    [Fact]
    public void The_same_usage_id_with_another_body_is_an_id_conflict_naming_the_fields()
    {
        var spec = Given(Opened(), Granted("g1", 100), Used("u1", 10, [D("g1", 10)], Sec(1)))
            .When(Do.Use("u1", 11, "sync", new Dictionary<string, string> { ["model"] = "x" }), Sec(2))
            .ThenRejected(RejectionCodes.IdConflict);

        ((IEnumerable<string>)spec.Rejection.Extensions!["fields"]!).ShouldBe(["amount", "feature", "metadata"]);
    }
}
