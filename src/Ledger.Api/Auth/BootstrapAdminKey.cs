using Ledger.Api.Hosting;
using Marten;

namespace Ledger.Api.Auth;

/// <summary>
/// Makes sure an operator can get in: the key given in <c>LEDGER_BOOTSTRAP_ADMIN_KEY</c> exists as an
/// admin key, or, on a first start with no admin key at all, one is generated and printed once.
/// </summary>
public sealed class BootstrapAdminKey(IDocumentStore store, LedgerSettings settings, TimeProvider clock, ILogger<BootstrapAdminKey> log)
    : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        if (settings.BootstrapAdminKey is { } secret)
        {
            var hash = ApiKey.Hash(secret);
            if (!await session.Query<ApiKey>().AnyAsync(k => k.SecretHash == hash && k.RevokedAt == null, ct))
            {
                session.Store(ApiKey.Create("bootstrap admin", [Scopes.Admin], null, secret, clock.GetUtcNow(), "key_bootstrap_" + hash[..16]));
                await session.SaveChangesAsync(ct);
            }
            return;
        }
        var anyAdmin = await session.Query<ApiKey>().AnyAsync(k => k.RevokedAt == null && k.Scopes.Contains(Scopes.Admin), ct);
        if (anyAdmin) return;
        var generated = ApiKey.NewSecret();
        session.Store(ApiKey.Create("generated admin", [Scopes.Admin], null, generated, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        // on the terminal only, once: never in a log line, which log sinks would keep
        log.LogInformation("First start: generated an admin API key (its secret is printed on the console once)");
        Console.WriteLine($"\nAdmin API key (shown once, store it now): {generated}\n");
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
