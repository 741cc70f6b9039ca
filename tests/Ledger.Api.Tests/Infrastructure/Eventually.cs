using Xunit;

namespace Ledger.Api.Tests.Infrastructure;

/// <summary>
/// Waits on a condition, never for a fixed time: for work the service does on its own (durable
/// timers, the outbox) or for another session to reach a state. The probe runs until it returns a
/// value or the patience runs out.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    public static async Task<T> Until<T>(Func<Task<T?>> probe, TimeSpan patience, Func<string> failure) where T : class
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (await probe() is { } found) return found;
            if (DateTime.UtcNow > deadline) Assert.Fail(failure());
            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }
    }
}
