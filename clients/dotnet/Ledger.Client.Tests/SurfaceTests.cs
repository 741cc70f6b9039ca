using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Shouldly;
using Xunit;

namespace Ledger.Client.Tests;

public sealed class SurfaceTests(LedgerService service)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly string[] Excluded = ["POST /v1/webhooks/stripe"]; // called by Stripe, never by a Ledger client

    [Fact]
    public async Task The_client_has_a_method_for_every_operation_of_the_live_openapi_document()
    {
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var live = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "patch" or "delete")
                .Select(m => $"{m.Name.ToUpperInvariant()} {path.Name}"))
            .Except(Excluded).Order().ToArray();
        LedgerClient.OperationIndex.Values.Order().ToArray().ShouldBe(live);
        foreach (var name in LedgerClient.OperationIndex.Keys) typeof(LedgerClient).GetMethod(name).ShouldNotBeNull(name);
    }

    [Fact]
    public async Task There_is_an_exception_type_for_every_problem_type_of_the_live_catalog()
    {
        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var catalog = await http.GetFromJsonAsync<JsonElement>("/problems", Ct);
        foreach (var problem in catalog.GetProperty("items").EnumerateArray())
        {
            var code = problem.GetProperty("code").GetString()!;
            var name = string.Concat(code.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..])) + "Exception";
            var type = typeof(LedgerClient).Assembly.GetType($"Ledger.Client.{name}");
            type.ShouldNotBeNull(code);
            type.IsSubclassOf(typeof(LedgerException)).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task Pagination_walks_every_page_of_a_cursor_list()
    {
        var ledger = service.Client();
        var accountId = $"cs-pages-{Guid.NewGuid():N}"[..20];
        await ledger.CreateAccountAsync(new CreateAccountRequest(accountId, "starter"), cancellationToken: Ct);
        for (var i = 0; i < 5; i++) await ledger.ReserveAsync(accountId, new ReserveRequest(10, $"r-{i}", Feature: "ai"), cancellationToken: Ct);
        var seen = new List<string>();
        await foreach (var r in LedgerClient.PaginateAsync<ReservationView>(async after =>
                       {
                           var page = await ledger.ListReservationsAsync(accountId, limit: "2", startingAfter: after, cancellationToken: Ct);
                           return (page.Data, page.HasMore);
                       }, r => r.ReservationId))
            seen.Add(r.ReservationId);
        seen.Order().ShouldBe(["r-0", "r-1", "r-2", "r-3", "r-4"]);
        (await ledger.PendingReservationsAsync(accountId, Ct).ToListAsync(Ct)).Count.ShouldBe(5);
    }

    [Fact]
    public void The_webhook_verifier_accepts_the_service_scheme_and_refuses_tampering_and_replays()
    {
        const string secret = "whsec_test";
        var body = """{"id":"whd_1","type":"balance.low"}""";
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        string Sign(DateTimeOffset t, string b, string s = secret) =>
            $"t={t.ToUnixTimeSeconds()},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes($"{t.ToUnixTimeSeconds()}.{b}")))}";
        bool Verify(string header, string b, string s = secret) => WebhookSignature.Verify(s, header, Encoding.UTF8.GetBytes(b), now: now);
        Verify(Sign(now, body), body).ShouldBeTrue();
        Verify(Sign(now, body), body, $"whsec_old,{secret}").ShouldBeTrue();
        Verify(Sign(now, body), body.Replace("low", "depleted")).ShouldBeFalse();
        Verify(Sign(now, body, "whsec_other"), body).ShouldBeFalse();
        Verify(Sign(now.AddSeconds(-301), body), body).ShouldBeFalse();
        Verify("v1=abc", body).ShouldBeFalse();
    }
}
