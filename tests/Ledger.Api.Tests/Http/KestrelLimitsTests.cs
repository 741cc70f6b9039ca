using System.Net;
using System.Text;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// The body limit as production enforces it: TestServer has no request body limit, so these requests go over a real
/// socket to Kestrel. A body of unknown length (chunked) is only stopped by Kestrel's MaxRequestBodySize while it is
/// read, and must still be answered 413 payload-too-large as a problem.
/// </summary>
public sealed class KestrelApp(PostgresServer server) : KestrelLedger(server, "kestrel");

public sealed class KestrelLimitsTests(KestrelApp fixture) : IClassFixture<KestrelApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A body whose length is not announced, so it goes chunked.</summary>
    private sealed class ChunkedJson(string json) : HttpContent
    {
        public ChunkedJson(int size, bool _ = true) : this("{\"amount\":10,\"metadata\":{\"pad\":\"" + new string('x', size) + "\"}}") { }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private async Task<string> OpenAccount()
    {
        var id = Raw.NewAccountId("kestrel");
        var open = await fixture.Admin.Post("/v1/accounts", Raw.Json(new { accountId = id, plan = "free" }));
        open.StatusCode.ShouldBe(HttpStatusCode.Created, await open.Content.ReadAsStringAsync(Ct));
        (await fixture.Admin.Post($"/v1/accounts/{id}/grants", """{"amount":100,"source":"manual","reason":"x"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        return id;
    }

    [Fact]
    public async Task A_chunked_body_over_1_MiB_is_413_payload_too_large()
    {
        var id = await OpenAccount();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{id}/reservations") { Content = new ChunkedJson(1024 * 1024 + 16 * 1024) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        // Kestrel closes the connection after refusing a body mid-stream; keep it out of the shared pool.
        request.Headers.ConnectionClose = true;

        var response = await fixture.Admin.SendAsync(request, Ct);

        await response.ShouldBeProblem(413, "payload-too-large");
        var balance = await (await fixture.Admin.Get($"/v1/accounts/{id}")).Json();
        balance.GetProperty("balance").GetProperty("reserved").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task A_chunked_body_under_the_limit_is_read()
    {
        var id = await OpenAccount();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{id}/usage") { Content = new ChunkedJson("""{"amount":10}""") };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await fixture.Admin.SendAsync(request, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_declared_length_over_1_MiB_is_413_payload_too_large()
    {
        var id = await OpenAccount();
        // Only the head is sent: the service must refuse on the declared length alone, without reading
        // (a client streaming the 2 MiB would race the early answer and see a broken pipe).
        var address = fixture.Admin.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        await using var stream = tcp.GetStream();
        var head = $"POST /v1/accounts/{id}/reservations HTTP/1.1\r\nHost: {address.Authority}\r\n" +
                   $"Authorization: Bearer {LedgerApp.AdminKey}\r\nContent-Type: application/json\r\n" +
                   $"Content-Length: {2 * 1024 * 1024}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(Ct);

        answer.ShouldStartWith("HTTP/1.1 413", customMessage: answer);
        answer.ShouldContain("application/problem+json");
        answer.ShouldContain("/problems/payload-too-large");
        var balance = await (await fixture.Admin.Get($"/v1/accounts/{id}")).Json();
        balance.GetProperty("balance").GetProperty("reserved").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task A_commit_sent_with_no_body_and_no_Content_Length_commits_everything_held()
    {
        var id = await OpenAccount();
        (await fixture.Admin.Post($"/v1/accounts/{id}/reservations", """{"reservationId":"r-curl","amount":10}""")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var address = fixture.Admin.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        await using var stream = tcp.GetStream();
        var head = $"POST /v1/accounts/{id}/reservations/r-curl/commit HTTP/1.1\r\nHost: {address.Authority}\r\n" +
                   $"Authorization: Bearer {LedgerApp.AdminKey}\r\nAccept: */*\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(Ct);

        answer.ShouldStartWith("HTTP/1.1 200", customMessage: answer);
        var reservation = await (await fixture.Admin.Get($"/v1/accounts/{id}/reservations/r-curl")).Json();
        reservation.GetProperty("status").GetString().ShouldBe("committed");
    }

    [Fact]
    public async Task Over_a_real_socket_an_unknown_route_is_still_a_problem_not_HTML()
    {
        var response = await fixture.Admin.Get("/definitely/not/here");
        await response.ShouldBeProblem(404, "not-found");
    }
}
