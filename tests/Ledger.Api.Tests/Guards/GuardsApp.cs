using Ledger.Api.Tests.Infrastructure;
using Xunit;

namespace Ledger.Api.Tests.Guards;

/// <summary>One app for a guards test class; tests keep apart by their own account ids and client addresses.</summary>
public sealed class GuardsApp(PostgresServer server) : IAsyncLifetime
{
    public LedgerApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync() => App = await LedgerApp.StartAsync(server, "guards");

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
    }

    private static int _next;

    /// <summary>A fresh account id, so tests sharing the app never share a rate-limit partition.</summary>
    public static string NewAccountId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid():N}"[..(prefix.Length + 16)];
}
