using Ledger.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Ledger.Api.Tests.SupportConsole;

/// <summary>
/// Playwright driving Debian's chromium (Playwright's own browser download is not reachable here): the executable comes
/// from <c>scripts/browser.sh</c>, which installs it with apt-get when missing. Screenshots and downloads go to
/// <c>artifacts/console/</c> (git-ignored) so a person can look at what the test saw.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _executable;

    private Browser(IPlaywright playwright, IBrowser browser) => (Playwright, Chromium) = (playwright, browser);

    public IPlaywright Playwright { get; }
    public IBrowser Chromium { get; }

    public static string Artifacts { get; } = Directory.CreateDirectory(
        Path.Combine(PostgresServer.FindRepositoryRoot(), "artifacts", "console")).FullName;

    public static async Task<Browser> LaunchAsync()
    {
        var executable = await ExecutableAsync();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // without these, Debian's chromium keeps trying the closed network (see ENVIRONMENT.md)
            Args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage"],
            Timeout = 30_000,
        });
        return new Browser(playwright, chromium);
    }

    /// <summary>A page with UTC as its zone (the console shows and takes instants in UTC) and downloads allowed.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            TimezoneId = "UTC", Locale = "en-US", AcceptDownloads = true, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name, bool fullPage = true) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, name), FullPage = fullPage });

    public static Task ScreenshotAsync(ILocator part, string name) =>
        part.ScreenshotAsync(new LocatorScreenshotOptions { Path = Path.Combine(Artifacts, name) });

    private static async Task<string> ExecutableAsync()
    {
        if (_executable is not null) return _executable;
        await Gate.WaitAsync();
        try
        {
            var root = PostgresServer.FindRepositoryRoot();
            var (_, output, _) = await NpmTools.RunAsync(root, "bash", "scripts/browser.sh", TimeSpan.FromMinutes(10));
            return _executable = output.Trim().Split('\n')[^1];
        }
        finally
        {
            Gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        Playwright.Dispose();
    }
}
