namespace Ledger.Api.Guards;

/// <summary>
/// A fixed window of the injected clock, aligned to the Unix epoch (one-minute windows run from :00 to :59
/// of each minute), so every process with a synchronised clock agrees on where windows start and end.
/// </summary>
public readonly record struct RateWindow(long Index, DateTimeOffset End)
{
    public static RateWindow At(DateTimeOffset now, TimeSpan length)
    {
        var ticks = now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var index = ticks / length.Ticks;
        return new RateWindow(index, DateTimeOffset.UnixEpoch.AddTicks((index + 1) * length.Ticks));
    }

    /// <summary>Whole seconds until the window ends, rounded up: between 1 and the window's length.</summary>
    public int SecondsLeft(DateTimeOffset now) => Math.Max(1, (int)Math.Ceiling((End - now).TotalSeconds));
}
