using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Stripe;
using Xunit;
using static Ledger.Api.Tests.Stripe.StripeFixtures;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// The webhook accepts only bodies signed with the configured secret, within 300 s of the service's clock, byte for
/// byte as sent; anything else is 400 <c>invalid-signature</c> and leaves no trace.
/// </summary>
public sealed class StripeSignatureTests(StripeAppFixture fixture) : IClassFixture<StripeAppFixture>
{
    private LedgerApp App => fixture.App;

    [Fact]
    public async Task Stripe_node_signs_exactly_as_Stripe_net_computes_the_signature()
    {
        string[] payloads = ["{}", Purchase("acc", "pack_500", "pi_1", 1_700_000_000).Body, "{\"name\":\"J\u00e9nny \u2713 \ud83d\ude80\"}\n"];
        foreach (var payload in payloads)
        foreach (var timestamp in new[] { 1_600_000_000L, 1_700_000_123L, App.Now() })
        {
            var node = await StripeNodeSigner.SignAsync(payload, StripeAppFixture.Secret, timestamp);
            var net = EventUtility.GenerateSignatureHeader(payload, StripeAppFixture.Secret, timestamp);
            Assert.Equal(node, net);
            Assert.Equal($"t={timestamp},v1={EventUtility.ComputeSignature(StripeAppFixture.Secret, timestamp.ToString(), payload)}", node);
        }
    }

    [Fact]
    public async Task A_signed_event_is_accepted_and_events_of_another_api_version_too()
    {
        await App.OpenAccountAsync("sig-ok");
        var e = Purchase("sig-ok", "pack_500", NewId("pi"), App.Now());
        await App.DeliverAsync(e).Applied("processed");

        var old = Event("checkout.session.completed",
            CheckoutSession(NewId("cs_test"), "sig-ok", "pack_2000", NewId("pi"), 7900, created: App.Now()), App.Now(), apiVersion: "2020-08-27");
        await App.DeliverAsync(old).Applied("processed");
        Assert.Equal(1000 + 500 + 2000, (await LedgerTotals.Of(App, "sig-ok")).Granted); // the free plan's allowance and two packs
    }

    public static TheoryData<string> Refusals => ["missing", "wrong-secret", "tampered", "stale", "future", "garbage", "no-v1", "other-scheme"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_bad_missing_or_stale_signature_is_400_and_nothing_is_recorded(string how)
    {
        var account = Raw.NewAccountId("sig");
        await App.OpenAccountAsync(account);
        var before = await LedgerTotals.Of(App, account);
        var e = Purchase(account, "pack_500", NewId("pi"), App.Now());
        var now = App.Now();
        var header = how switch
        {
            "missing" => null,
            "wrong-secret" => await StripeNodeSigner.SignAsync(e.Body, "whsec_someone_else", now),
            "tampered" => await StripeNodeSigner.SignAsync(e.Body.Replace("pack_500", "pack_2000"), StripeAppFixture.Secret, now),
            "stale" => await StripeNodeSigner.SignAsync(e.Body, StripeAppFixture.Secret, now - 301),
            "future" => await StripeNodeSigner.SignAsync(e.Body, StripeAppFixture.Secret, now + 301),
            "garbage" => "not a signature",
            "no-v1" => $"t={now}",
            "other-scheme" => (await StripeNodeSigner.SignAsync(e.Body, StripeAppFixture.Secret, now)).Replace("v1=", "v0="),
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };

        var response = await StripeKit.PostSigned(App.CreateClient(), e.Body, header);

        await response.ShouldBeProblem(400, "invalid-signature");
        Assert.Null(await App.RecordAsync(e.Id));
        Assert.Equal(before, await LedgerTotals.Of(App, account));
    }

    [Fact]
    public async Task Tolerance_is_measured_on_the_services_clock()
    {
        await App.OpenAccountAsync("sig-clock");
        var signedAt = App.Now();
        var early = Purchase("sig-clock", "pack_500", NewId("pi"), signedAt);
        var late = Purchase("sig-clock", "pack_500", NewId("pi"), signedAt);
        var earlyHeader = await StripeNodeSigner.SignAsync(early.Body, StripeAppFixture.Secret, signedAt);
        var lateHeader = await StripeNodeSigner.SignAsync(late.Body, StripeAppFixture.Secret, signedAt);

        // Real time barely moves; the service's clock says 299 s, then 301 s have passed.
        App.Clock.Advance(TimeSpan.FromSeconds(299));
        await StripeKit.PostSigned(App.CreateClient(), early.Body, earlyHeader).Applied("processed");
        App.Clock.Advance(TimeSpan.FromSeconds(2));
        await (await StripeKit.PostSigned(App.CreateClient(), late.Body, lateHeader)).ShouldBeProblem(400, "invalid-signature");
        Assert.Null(await App.RecordAsync(late.Id));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"evt_1\"")]
    [InlineData("{}")]
    [InlineData("{\"id\":7,\"type\":[],\"data\":{\"object\":[]}}")]
    public async Task A_signed_body_that_is_not_an_event_is_400_and_nothing_is_recorded(string body)
    {
        var count = await App.RecordCountAsync();
        var header = await StripeNodeSigner.SignAsync(body, StripeAppFixture.Secret, App.Now());
        var response = await StripeKit.PostSigned(App.CreateClient(), body, header);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(count, await App.RecordCountAsync());
    }

    [Fact]
    public async Task A_signed_event_with_an_odd_data_shape_is_acknowledged_without_effect()
    {
        // an id and a type, but data.object is not an object: nothing to read, so nothing to do; the record shows it
        // to admins, and Stripe gets its 200 and stops retrying
        var body = "{\"id\":\"evt_odd_shape_1\",\"type\":\"charge.refunded\",\"created\":1,\"data\":5}";
        var header = await StripeNodeSigner.SignAsync(body, StripeAppFixture.Secret, App.Now());
        var response = await StripeKit.PostSigned(App.CreateClient(), body, header);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ignored", (await App.RecordAsync("evt_odd_shape_1"))!.Status);
    }
}
