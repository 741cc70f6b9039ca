using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Http;

/// <summary>
/// The service on a real socket (slow clients, body limits and raw header bytes need Kestrel), with Stripe configured
/// against the local stand-in, so a Stripe call is the endpoint's real path and not a 503 "not configured".
/// </summary>
public sealed class FuzzApp(PostgresServer server) : IAsyncLifetime
{
    public const string Account = "fz";

    private sealed class Service(PostgresServer server, IReadOnlyDictionary<string, string> settings) : KestrelLedger(server, "fuzz", settings);

    private Service? _service;
    private Ledger.Api.Tests.Stripe.StripeStandIn? _stripe;

    public HttpClient Admin => _service!.Admin;

    public async ValueTask InitializeAsync()
    {
        _stripe = await Ledger.Api.Tests.Stripe.StripeStandIn.StartAsync();
        _service = new Service(server, new Dictionary<string, string>
        {
            ["LEDGER_STRIPE_WEBHOOK_SECRET"] = "whsec_fuzz_secret", ["LEDGER_STRIPE_API_KEY"] = "sk_test_fuzz", ["LEDGER_STRIPE_API_BASE"] = _stripe.BaseUrl,
        });
        await _service.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null) await _service.DisposeAsync();
        if (_stripe is not null) await _stripe.DisposeAsync();
    }

    /// <summary>Ids the path parameters are filled with (things that exist, so hostile values elsewhere reach the endpoint).</summary>
    public static string Fill(string parameter) => parameter switch
    {
        "accountId" => Account, "reservationId" => "fz-r", "grantId" => "fz-g", "keyId" => "key_none", "eventId" => "evt_none",
        _ => "fz-" + parameter,
    };
}

/// <summary>
/// DESIGN "HTTP API v1": no request yields a 5xx for anything a client can send, every error is an RFC 9457 problem,
/// and a rejected request changes nothing. Every operation of the OpenAPI document is sent what <see cref="OpenApiFuzz"/>
/// generates from it: malformed, truncated and corrupted JSON, wrong types, huge/negative/zero numbers, overlong and
/// control-character ids (a trailing newline included), odd unicode, path traversal, query strings with NUL bytes and
/// dates out of range, bad Idempotency-Keys, oversized bodies. After each rejected request the account's version must
/// be what it was (a timer's own event aside). Raw sockets add header injection and slow clients.
/// Knobs: <c>LEDGER_FUZZ_SEED</c> (printed on failure), <c>LEDGER_FUZZ_SIZE</c> (values per place and random cases per
/// operation; CI 6, the long run in scripts/reliability.sh 100).
/// </summary>
public sealed class GeneratedHostileInputTests(FuzzApp fixture) : IClassFixture<FuzzApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private HttpClient Admin => fixture.Admin;
    private const string Account = FuzzApp.Account;

    private static int Knob(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    private async Task SeedAsync()
    {
        if ((await Admin.GetAsync($"/v1/accounts/{Account}", Ct)).IsSuccessStatusCode) return;
        foreach (var (path, body) in new[]
                 {
                     ("/v1/accounts", $$"""{"accountId":"{{Account}}","plan":"starter"}"""),
                     ($"/v1/accounts/{Account}/grants", """{"grantId":"fz-g","amount":1000000,"source":"manual","reason":"fuzz"}"""),
                     ($"/v1/accounts/{Account}/reservations", """{"reservationId":"fz-r","amount":10,"ttlSeconds":86400}"""),
                     ($"/v1/accounts/{Account}/usage", """{"usageId":"fz-u","amount":10}"""),
                 })
        {
            var response = await Admin.Post(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync(Ct)}");
        }
    }

    private async Task<long> VersionAsync() =>
        (await (await Admin.GetAsync($"/v1/accounts/{Account}", Ct)).Json()).GetProperty("version").GetInt64();

    /// <summary>Events written after <paramref name="version"/> by anyone but the service's own timers.</summary>
    private async Task<List<string>> NonTimerEventsAfter(long version)
    {
        var page = await (await Admin.GetAsync($"/v1/accounts/{Account}/events?after={version}&limit=1000", Ct)).Json();
        return page.GetProperty("items").EnumerateArray()
            .Where(e => !(e.GetProperty("metadata").TryGetProperty("actor", out var a) && a.GetString() is { } actor && actor.StartsWith("system", StringComparison.Ordinal)))
            .Select(e => e.GetProperty("type").GetString()!).ToList();
    }

    /// <summary>What is wrong with an answer, or null: a 5xx, an error that is not a problem, an internal leaking out, a header it reflected.</summary>
    public static string? Judge(int status, string? mediaType, string text, IEnumerable<string> headerNames, string url = "")
    {
        if (status >= 500) return "5xx";
        // Kestrel itself refuses a request target with NUL after percent-decoding: an empty 400 written by the HTTP
        // server before any middleware runs (ADR 50); the application never sees the request.
        if (status == 400 && text.Length == 0 && mediaType is null && url.Split('?')[0].Contains("%00", StringComparison.Ordinal)) return null;
        if (headerNames.Any(h => h.StartsWith("X-Injected", StringComparison.OrdinalIgnoreCase))) return "a header was injected";
        if (status < 400) return null;
        if (mediaType != "application/problem+json") return $"error as {mediaType ?? "no content type"}, not a problem";
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            if (problem.GetProperty("type").GetString() is not { } type || !type.StartsWith("/problems/", StringComparison.Ordinal)) return "problem without a catalog type";
            if (string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString())) return "problem without a title";
            if (problem.GetProperty("status").GetInt32() != status) return "problem status differs from the HTTP status";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "problem document incomplete: " + ex.Message;
        }
        return text.Contains("Exception", StringComparison.Ordinal) || text.Contains("Npgsql", StringComparison.OrdinalIgnoreCase) ? "an internal leaks out" : null;
    }

    [Fact]
    public async Task Every_operation_of_the_OpenAPI_document_takes_generated_hostile_input_without_a_5xx_or_a_change()
    {
        await SeedAsync();
        var seed = Knob("LEDGER_FUZZ_SEED", Environment.TickCount & 0x7FFFFFFF);
        var size = Knob("LEDGER_FUZZ_SIZE", 6);
        var document = (await (await Admin.GetAsync("/openapi/v1.json", Ct)).Json());
        var fuzz = new OpenApiFuzz(seed, size);
        var operations = OpenApiFuzz.Operations(document);
        operations.Count.ShouldBeGreaterThan(30);

        var failures = new List<string>();
        int sent = 0, rejected = 0;
        var version = await VersionAsync();
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var operation in operations)
        foreach (var c in fuzz.Cases(operation, FuzzApp.Fill))
        {
            using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Url);
            if (c.Body is not null)
            {
                request.Content = new ByteArrayContent(c.Body);
                if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
            }
            foreach (var (name, value) in c.Headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
            if (c.Body is { Length: > 1024 * 1024 })
            {
                // the head alone: the service refuses on the declared length (a client streaming the rest would race it)
                var answer = await RawAsync(Encoding.ASCII.GetBytes(Head(c.Method, c.Url, "", c.Body.Length)));
                sent++;
                if (!answer.StartsWith("HTTP/1.1 413", StringComparison.Ordinal) || !answer.Contains("/problems/payload-too-large", StringComparison.Ordinal))
                    failures.Add($"{operation.Method} {operation.Path} [{c.Name}]: {answer[..Math.Min(200, answer.Length)]}");
                continue;
            }
            HttpResponseMessage response;
            try
            {
                response = await Admin.SendAsync(request, Ct);
            }
            catch (HttpRequestException ex)
            {
                failures.Add($"{operation.Method} {operation.Path} [{c.Name}]: connection failed: {ex.Message}");
                continue;
            }
            sent++;
            var text = await response.Content.ReadAsStringAsync(Ct);
            var status = (int)response.StatusCode;
            if (Judge(status, response.Content.Headers.ContentType?.MediaType, text, response.Headers.Select(h => h.Key), c.Url) is { } wrong)
                failures.Add($"{operation.Method} {operation.Path} [{c.Name}]: {wrong}: {status} {text[..Math.Min(200, text.Length)]}");
            if (!operation.Path.StartsWith("/v1/accounts/{accountId}", StringComparison.Ordinal) && operation.Method == "GET") continue;
            var now = await VersionAsync();
            if (status >= 400 && now != version && await NonTimerEventsAfter(version) is { Count: > 0 } written)
                failures.Add($"{operation.Method} {operation.Path} [{c.Name}]: rejected with {status} but wrote {string.Join(", ", written)}");
            if (status >= 400) rejected++;
            version = now;
        }

        failures.ShouldBeEmpty($"seed {seed}, size {size}: {failures.Count} of {sent} requests failed");
        sent.ShouldBeGreaterThan(operations.Count * 10);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"fuzz seed {seed} size {size}: {operations.Count} operations, {sent} requests ({rejected} rejected, none changed the account), {started.Elapsed.TotalSeconds:F1} s");
        Reliability.RunReport.Record("generated hostile input", $"seed {seed}, size {size}", sent, "no 5xx, every error a problem, no rejected write");
    }

    private async Task<string> RawAsync(byte[] head, byte[]? body = null, TimeSpan? trickle = null, int? stopAfter = null)
    {
        var address = Admin.BaseAddress!;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        await using var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(head, Ct);
            var bytes = body ?? [];
            for (var i = 0; i < (stopAfter ?? bytes.Length); i++)
            {
                await stream.WriteAsync(bytes.AsMemory(i, 1), Ct);
                if (trickle is { } pause) await Task.Delay(pause, Ct);
            }
        }
        catch (IOException)
        {
            // the server refused the head and closed while the body was still on its way (broken pipe): read its answer
        }
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(40));
        try
        {
            return await reader.ReadToEndAsync(patience.Token);
        }
        catch (IOException)
        {
            return ""; // the server closed the connection on us: no answer at all is not a 5xx
        }
    }

    private static string Head(string method, string path, string headers, int length) =>
        $"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {LedgerApp.AdminKey}\r\n" +
        $"Content-Type: application/json\r\n{headers}Content-Length: {length}\r\nConnection: close\r\n\r\n";

    [Fact]
    public async Task Header_injection_and_raw_header_bytes_never_5xx_and_are_never_reflected()
    {
        await SeedAsync();
        var before = await VersionAsync();
        var body = """{"amount":1000000000000}"""u8.ToArray(); // more than there is: 402 when it gets that far
        var heads = new List<(string Name, byte[] Head)>
        {
            ("CRLF in a query string", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage?x=%0D%0AX-Injected:%20yes", "", body.Length))),
            ("CRLF in the path", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}%0D%0AX-Injected:%20yes/usage", "", body.Length))),
            ("NUL in a header value", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "Idempotency-Key: a\0b\r\n", body.Length))),
            ("bare CR in a header", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "Idempotency-Key: a\rX-Injected: yes\r\n", body.Length))),
            ("obsolete line folding", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "Idempotency-Key: a\r\n X-Injected: yes\r\n", body.Length))),
            ("non-ASCII bytes in a header", [.. Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "", body.Length)).SkipLast(2), .. "Idempotency-Key: \u00ff\u00fe\r\n\r\n"u8.ToArray()]),
            ("64 KiB header", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", $"X-Big: {new string('h', 64 * 1024)}\r\n", body.Length))),
            ("two Content-Lengths", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "Content-Length: 3\r\n", body.Length))),
            ("NUL in the request line", Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}\0/usage", "", body.Length))),
        };
        var failures = new List<string>();
        foreach (var (name, head) in heads)
        {
            var answer = await RawAsync(head, body);
            var statusLine = answer.Split("\r\n")[0];
            var headers = answer.Split("\r\n\r\n")[0];
            if (statusLine.StartsWith("HTTP/1.1 5", StringComparison.Ordinal)) failures.Add($"{name}: {statusLine}");
            if (headers.Contains("X-Injected", StringComparison.OrdinalIgnoreCase)) failures.Add($"{name}: the answer carries an injected header:\n{headers}");
            if (statusLine.StartsWith("HTTP/1.1 2", StringComparison.Ordinal)) failures.Add($"{name}: accepted: {statusLine}");
        }
        failures.ShouldBeEmpty();
        (await VersionAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task A_client_trickling_its_body_a_byte_at_a_time_is_served_once_and_one_that_stalls_changes_nothing()
    {
        await SeedAsync();
        var usageId = "fz-slow-" + Guid.NewGuid().ToString("N")[..8];
        var body = Encoding.UTF8.GetBytes($$"""{"usageId":"{{usageId}}","amount":3}""");
        var before = await VersionAsync();
        var slow = await RawAsync(Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "", body.Length)), body, TimeSpan.FromMilliseconds(40));
        slow.ShouldStartWith("HTTP/1.1 201", customMessage: slow);
        (await VersionAsync()).ShouldBe(before + 1);

        // declares 60 bytes, sends 10 and goes quiet: Kestrel's minimum data rate (240 B/s after a 5 s grace) cuts it off
        var stalled = await RawAsync(Encoding.ASCII.GetBytes(Head("POST", $"/v1/accounts/{Account}/usage", "", 60)), new byte[60], stopAfter: 10);
        stalled.ShouldNotStartWith("HTTP/1.1 5", customMessage: stalled);
        if (stalled.Length > 0)
        {
            var statusLine = stalled.Split("\r\n")[0];
            statusLine.ShouldStartWith("HTTP/1.1 4", customMessage: stalled);
        }
        (await VersionAsync()).ShouldBe(before + 1);
        (await Admin.Post($"/v1/accounts/{Account}/usage", Encoding.UTF8.GetString(body))).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK); // a replay
    }
}
