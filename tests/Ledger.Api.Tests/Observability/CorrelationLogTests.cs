using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Ledger.Api.Tests.Http;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Observability;

/// <summary>
/// Every request has a correlation id (ADR 65): the caller's X-Correlation-Id, else traceparent's trace id, else a new
/// one; echoed, in problem details as traceId, on the events it writes, and in a scope of every log line of the request
/// (captured here in process). No secret reaches a log line.
/// </summary>
public sealed class CorrelationLogTests(PostgresServer server) : IAsyncLifetime
{
    private const string StripeSecret = "whsec_correlation_log_secret_0123456789";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly CapturedLogs _logs = new();
    private LedgerApp _app = null!;
    private WebApplicationFactory<Program> _logged = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await LedgerApp.StartAsync(server, "correlation", settings: new Dictionary<string, string>
        {
            ["LEDGER_STRIPE_WEBHOOK_SECRET"] = StripeSecret,
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        _logged = _app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));
    }

    public async ValueTask DisposeAsync()
    {
        await _logged.DisposeAsync();
        await _app.DisposeAsync();
    }

    private HttpClient Client(string? key = LedgerApp.AdminKey)
    {
        var client = _logged.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    [Fact]
    public async Task A_given_correlation_id_is_echoed_in_problems_events_and_every_log_line_of_its_request()
    {
        var client = Client();
        using var missing = new HttpRequestMessage(HttpMethod.Get, "/v1/accounts/no-such-account");
        missing.Headers.Add("X-Correlation-Id", "corr-logs-404");
        var response = await client.SendAsync(missing, Ct);
        response.Headers.GetValues("X-Correlation-Id").Single().ShouldBe("corr-logs-404");
        (await response.ShouldBeProblem(404, "account-not-found")).GetProperty("traceId").GetString().ShouldBe("corr-logs-404");
        // ASP.NET Core's own lines, at Information here: "Request finished" may be written just after the answer is sent
        var lines = await Eventually.Until(() => Task.FromResult(
                _logs.Lines.Where(l => l.Text.Contains("/v1/accounts/no-such-account", StringComparison.Ordinal)).ToList() is { Count: >= 2 } found ? found : null),
            TimeSpan.FromSeconds(10), () => "no 'Request starting' and 'Request finished' lines for the request");
        lines.ShouldAllBe(l => l.CorrelationId == "corr-logs-404");

        using var refused = new HttpRequestMessage(HttpMethod.Post, "/v1/webhooks/stripe")
        {
            Content = new StringContent("""{"id":"evt_x","type":"invoice.paid"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        refused.Headers.Add("X-Correlation-Id", "corr-logs-stripe");
        refused.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1,v1=deadbeef");
        await (await Client(null).SendAsync(refused, Ct)).ShouldBeProblem(400, "invalid-signature");
        var warning = _logs.Lines.Single(l => l.Text.Contains("Stripe webhook refused", StringComparison.Ordinal) && l.CorrelationId == "corr-logs-stripe");
        warning.Level.ShouldBe(LogLevel.Warning);

        await _app.OpenAccountAsync("corr-account", "pro");
        using var grant = new HttpRequestMessage(HttpMethod.Post, "/v1/accounts/corr-account/grants")
        {
            Content = JsonContent.Create(new { amount = 5, source = "manual", reason = "correlated" }),
        };
        grant.Headers.Add("X-Correlation-Id", "corr-logs-grant");
        (await client.SendAsync(grant, Ct)).IsSuccessStatusCode.ShouldBeTrue();
        var events = await (await client.GetAsync("/v1/accounts/corr-account/events?type=credits_granted&limit=100", Ct)).Json();
        events.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("metadata").GetProperty("correlationId").GetString())
            .ShouldContain("corr-logs-grant");

        var secrets = new[] { LedgerApp.AdminKey, StripeSecret, "deadbeef" };
        foreach (var line in _logs.Lines)
            foreach (var secret in secrets)
                line.Text.ShouldNotContain(secret, Case.Sensitive, $"a log line ({line.Category}) shows a secret");
    }

    [Fact]
    public async Task Without_a_correlation_id_the_traceparent_or_a_new_trace_id_is_used()
    {
        var client = Client();
        using var traced = new HttpRequestMessage(HttpMethod.Get, "/v1/plans");
        traced.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        (await client.SendAsync(traced, Ct)).Headers.GetValues("X-Correlation-Id").Single().ShouldBe("4bf92f3577b34da6a3ce929d0e0e4736");

        using var unusable = new HttpRequestMessage(HttpMethod.Get, "/v1/plans");
        unusable.Headers.Add("X-Correlation-Id", new string('x', 129));
        var generated = (await client.SendAsync(unusable, Ct)).Headers.GetValues("X-Correlation-Id").Single();
        generated.ShouldMatch("^[0-9a-f]{32}$");
        var other = (await client.GetAsync("/v1/plans", Ct)).Headers.GetValues("X-Correlation-Id").Single();
        other.ShouldMatch("^[0-9a-f]{32}$");
        other.ShouldNotBe(generated);
    }

    [Fact]
    public async Task LEDGER_LOG_FORMAT_json_writes_one_json_object_per_line_with_the_correlation_id()
    {
        await using var service = new LedgerProcess(await server.CreateDatabaseAsync("json_logs"), new Dictionary<string, string>
        {
            ["LEDGER_LOG_FORMAT"] = "json",
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        await service.StartAsync();
        using var client = service.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/plans");
        request.Headers.Add("X-Correlation-Id", "corr-json-1");
        (await client.SendAsync(request, Ct)).IsSuccessStatusCode.ShouldBeTrue();
        var line = await Eventually.Until(() => Task.FromResult(service.Output().Split('\n')
                .Where(l => l.StartsWith('{') && l.Contains("corr-json-1", StringComparison.Ordinal)).FirstOrDefault()),
            TimeSpan.FromSeconds(10), () => $"no JSON log line with the correlation id:\n{service.Output()}");
        var json = JsonDocument.Parse(line).RootElement;
        json.GetProperty("Category").GetString().ShouldStartWith("Microsoft.AspNetCore.Hosting");
        // ASP.NET Core's request line is written outside the middleware's scope: it carries the id as its RequestId
        json.GetProperty("Scopes").EnumerateArray().Select(s => s.TryGetProperty("RequestId", out var id) ? id.GetString() : null)
            .ShouldContain("corr-json-1");
    }
}

/// <summary>Every log line of the app, with its message, state and the scopes it was written in.</summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();
    private readonly ConcurrentQueue<Line> _lines = new();

    public sealed record Line(string Category, LogLevel Level, string Text, string? CorrelationId);

    public IReadOnlyList<Line> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder(formatter(state, exception));
            string? correlation = null;
            void Add(object? value)
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                    foreach (var (key, item) in pairs)
                    {
                        text.Append(' ').Append(key).Append('=').Append(item);
                        // ours, or ASP.NET Core's request lines, written outside the middleware (RequestId: the id the request was given)
                        if (key == "CorrelationId" || key == "RequestId" && correlation is null) correlation = item?.ToString();
                    }
                else text.Append(' ').Append(value);
            }
            Add(state);
            owner._scopes.ForEachScope((scope, _) => Add(scope), (object?)null);
            if (exception is not null) text.Append(' ').Append(exception);
            owner._lines.Enqueue(new Line(category, logLevel, text.ToString(), correlation));
        }
    }
}
