using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Ledger.Api.Tests.Cli;

/// <summary>
/// Issue 14, "terminal output and logs searched for secrets": the service's first start on an empty database, as a new
/// user sees it. The generated admin key is printed once, on the console and not in a log line (which log sinks keep);
/// the database is named without its password; nothing but Ledger's and ASP.NET Core's lines (JasperFx's command
/// scan printed six "Searching '...' for commands" lines at every start). A second start prints no key.
/// </summary>
public sealed partial class FirstStartTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"lk_live_[A-Za-z0-9_\-]{20,}")]
    private static partial Regex Secret();

    [Fact]
    public async Task The_first_start_prints_the_admin_key_once_outside_the_log_and_the_database_without_its_password()
    {
        var database = await server.CreateDatabaseAsync("firststart");
        database.ShouldContain("Password=", Case.Insensitive); // the test's connection string has one to hide
        var noBootstrapKey = new Dictionary<string, string> { ["LEDGER_BOOTSTRAP_ADMIN_KEY"] = "" };

        string output;
        await using (var first = new LedgerProcess(database, noBootstrapKey))
        {
            await first.StartAsync();
            output = first.Output();
            var secrets = Secret().Matches(output).Select(m => m.Value).ToList();
            var secret = secrets.ShouldHaveSingleItem(output);
            var line = output.Split('\n').Single(l => l.Contains(secret, StringComparison.Ordinal));
            line.ShouldStartWith("Admin API key (shown once");
            // the key works: it is the admin key the database holds
            using var client = first.Client();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            (await client.GetAsync("/v1/admin/api-keys", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var log = output.Split('\n');
        log.ShouldContain(l => l.StartsWith("Ledger listening on ", StringComparison.Ordinal) && l.Contains("Database=", StringComparison.Ordinal), output);
        output.ShouldNotContain("Password", Case.Insensitive);
        output.ShouldNotContain("Searching '");
        output.ShouldNotContain("JasperFx command line");

        await using var second = new LedgerProcess(database, noBootstrapKey);
        await second.StartAsync();
        Secret().IsMatch(second.Output()).ShouldBeFalse(second.Output());
        second.Output().ShouldContain("Ledger listening on ");
    }
}
