using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.Api.Guards;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Guards;

/// <summary>DESIGN "abuse guards": repeated failed authentication from one client address is throttled (429 auth-throttled).</summary>
public sealed class FailedAuthThrottleTests(GuardsApp fixture) : IClassFixture<GuardsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private LedgerApp App => fixture.App;

    private const string BadKey = "lk_live_this_key_was_never_issued_0000000000000000000";

    private sealed record Answer(int Status, IHeaderDictionary Headers, string Body)
    {
        public JsonElement Problem(int status, string code)
        {
            Assert.True(Status == status, $"expected {status} {code}, got {Status}: {Body}");
            Headers.ContentType.ToString().ShouldStartWith("application/problem+json");
            var problem = JsonDocument.Parse(Body).RootElement;
            problem.GetProperty("type").GetString().ShouldBe($"/problems/{code}");
            problem.GetProperty("status").GetInt32().ShouldBe(status);
            return problem;
        }
    }

    /// <summary>A GET from a given client address (the in-process server has none unless the test sets it).</summary>
    private async Task<Answer> Get(string path, string? key, string address)
    {
        var context = await fixture.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = path;
            if (key is not null) c.Request.Headers.Authorization = $"Bearer {key}";
            c.Connection.RemoteIpAddress = IPAddress.Parse(address);
        }, Ct);
        using var reader = new StreamReader(context.Response.Body, Encoding.UTF8);
        return new Answer(context.Response.StatusCode, context.Response.Headers, await reader.ReadToEndAsync(Ct));
    }

    [Fact]
    public async Task Ten_failed_authentications_from_one_address_then_429_until_the_minute_ends()
    {
        const string attacker = "203.0.113.7";
        for (var i = 1; i <= 10; i++)
            (await Get("/v1/plans", BadKey + i, attacker)).Problem(401, "api-key-invalid");

        var throttled = await Get("/v1/plans", BadKey, attacker);
        var problem = throttled.Problem(429, "auth-throttled");
        problem.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
        var retryAfter = int.Parse(throttled.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);
        problem.GetProperty("retryAfterSeconds").GetInt32().ShouldBe(retryAfter);
        (await Get("/v1/admin/api-keys", "not even the right shape", attacker)).Problem(429, "auth-throttled");

        // A valid key from the same address still works (an attacker cannot lock out clients sharing its address) ...
        (await Get("/v1/plans", LedgerApp.AdminKey, attacker)).Status.ShouldBe(200);
        // ... requests without credentials are answered as usual ...
        (await Get("/v1/plans", null, attacker)).Problem(401, "api-key-missing");
        // ... and other addresses are not affected.
        (await Get("/v1/plans", BadKey, "198.51.100.20")).Problem(401, "api-key-invalid");

        App.Clock.Advance(TimeSpan.FromSeconds(retryAfter));
        (await Get("/v1/plans", BadKey, attacker)).Problem(401, "api-key-invalid");
    }

    [Fact]
    public async Task Requests_without_credentials_do_not_count()
    {
        const string client = "203.0.113.8";
        for (var i = 0; i < 15; i++)
            (await Get("/v1/plans", null, client)).Problem(401, "api-key-missing");
        (await Get("/v1/plans", BadKey, client)).Problem(401, "api-key-invalid");
    }

    [Fact]
    public async Task Addresses_of_one_IPv6_network_share_a_count()
    {
        for (var i = 1; i <= 10; i++)
            (await Get("/v1/plans", BadKey, $"2001:db8:1:2::{i:x}")).Problem(401, "api-key-invalid");
        (await Get("/v1/plans", BadKey, "2001:db8:1:2:ffff::1")).Problem(429, "auth-throttled");
        (await Get("/v1/plans", BadKey, "2001:db8:1:3::1")).Problem(401, "api-key-invalid");
    }

    [Fact]
    public async Task Connections_without_an_address_are_not_tracked()
    {
        // The in-process test server gives no remote address (as Unix sockets do): nothing to throttle by.
        var client = fixture.ClientWith(BadKey);
        for (var i = 0; i < 15; i++)
            await (await client.GetAsync("/v1/plans", Ct)).ShouldBeProblem(401, "api-key-invalid");
    }

    [Fact]
    public void The_table_of_addresses_is_bounded()
    {
        var throttle = new FailedAuthThrottle(new GuardOptions { MaxTrackedClients = 3, FailedAuthenticationsPerWindow = 1 });
        var now = new DateTimeOffset(2026, 1, 1, 12, 0, 30, TimeSpan.Zero);
        foreach (var client in new[] { "a", "b", "c", "d" }) throttle.RecordFailure(client, now);

        throttle.TrackedClients.ShouldBe(3);
        throttle.IsThrottled("c", now, out _).ShouldBeTrue();
        throttle.IsThrottled("d", now, out _).ShouldBeFalse("the table was full: not tracked");

        var nextMinute = now.AddMinutes(1);
        throttle.RecordFailure("d", nextMinute);
        throttle.TrackedClients.ShouldBe(1, "past windows are pruned when the table is full");
        throttle.IsThrottled("d", nextMinute, out var retryAfter).ShouldBeTrue();
        retryAfter.ShouldBe(30);
        throttle.IsThrottled("a", nextMinute, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("::1", "::1")]
    public void Client_keys(string address, string key) =>
        FailedAuthThrottle.ClientKey(IPAddress.Parse(address)).ShouldBe(key);
}
