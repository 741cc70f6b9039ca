using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// The service on a real socket (Kestrel, the real clock), for what TestServer cannot show: request body limits as
/// production enforces them, and scripts that call it with curl. <see cref="Admin"/> is bound to its address.
/// </summary>
public abstract class KestrelLedger(PostgresServer server, string name, IReadOnlyDictionary<string, string>? settings = null) : IAsyncLifetime
{
    private Factory _factory = null!;
    public HttpClient Admin { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        JasperFxEnvironment.AutoStartHost = true;
        _factory = new Factory(await server.CreateDatabaseAsync(name), settings ?? new Dictionary<string, string>());
        _factory.UseKestrel(0);
        _factory.StartServer();
        Admin = _factory.CreateClient();
        Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LedgerApp.AdminKey);
    }

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private sealed class Factory(string connectionString, IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("LEDGER_DATABASE", connectionString);
            builder.UseSetting("LEDGER_BOOTSTRAP_ADMIN_KEY", LedgerApp.AdminKey);
            builder.UseSetting("LEDGER_RATE_LIMITS", "off");
            foreach (var (key, value) in settings) builder.UseSetting(key, value);
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseEnvironment("Testing");
        }
    }
}
