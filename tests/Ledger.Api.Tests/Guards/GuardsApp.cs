using System.Net.Http.Headers;
using Ledger.Api.Guards;
using Ledger.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Xunit;

namespace Ledger.Api.Tests.Guards;

/// <summary>
/// One app for a guards test class, with the per-account rate limits switched on explicitly
/// (<c>LEDGER_RATE_LIMITS=plan</c>) whatever the harness's default; it shares the <see cref="LedgerApp"/>'s database
/// and clock. Tests keep apart by their own account ids and client addresses.
/// </summary>
public sealed class GuardsApp(PostgresServer server) : IAsyncLifetime
{
    private static int _next;

    public LedgerApp App { get; private set; } = null!;

    /// <summary>The node under test: guards on.</summary>
    public WebApplicationFactory<Program> Node { get; private set; } = null!;

    public TestServer Server => Node.Server;

    public async ValueTask InitializeAsync()
    {
        App = await LedgerApp.StartAsync(server, "guards");
        Node = App.WithWebHostBuilder(b => b.UseSetting(GuardOptions.RateLimitsSetting, "plan"));
        _ = Node.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync(); // disposes Node too
    }

    public HttpClient Admin() => ClientWith(LedgerApp.AdminKey);

    public HttpClient ClientWith(string? apiKey)
    {
        var client = Node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>A fresh account id, so tests sharing the app never share a rate-limit partition.</summary>
    public static string NewAccountId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():N}"[..(prefix.Length + 16)];
}
