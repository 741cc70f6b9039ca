using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Ledger.Api.Guards;

/// <summary>
/// Counts failed authentications (credentials presented and rejected) per client address in fixed one-minute
/// windows of the injected clock; from the <see cref="GuardOptions.FailedAuthenticationsPerWindow"/>-th on, the
/// address is throttled until the window ends. Bounded: at most <see cref="GuardOptions.MaxTrackedClients"/>
/// addresses; past windows are pruned when the table is full, and if it is still full a new address is not
/// tracked (it gets the plain 401s it would get without the guard).
/// </summary>
public sealed class FailedAuthThrottle(GuardOptions options)
{
    private sealed class Counter(long window)
    {
        public long Window = window;
        public int Count;
    }

    private readonly ConcurrentDictionary<string, Counter> _clients = new(StringComparer.Ordinal);
    private long _lastPrunedWindow = long.MinValue;

    public int TrackedClients => _clients.Count;

    /// <summary>Whether the client is throttled now; if so, the seconds until its window ends.</summary>
    public bool IsThrottled(string client, DateTimeOffset now, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        if (!_clients.TryGetValue(client, out var counter)) return false;
        var window = RateWindow.At(now, GuardOptions.Window);
        lock (counter)
        {
            if (counter.Window != window.Index || counter.Count < options.FailedAuthenticationsPerWindow) return false;
        }
        retryAfterSeconds = window.SecondsLeft(now);
        return true;
    }

    public void RecordFailure(string client, DateTimeOffset now)
    {
        var window = RateWindow.At(now, GuardOptions.Window).Index;
        if (!_clients.TryGetValue(client, out var counter))
        {
            if (_clients.Count >= options.MaxTrackedClients && !PruneBefore(window)) return;
            counter = _clients.GetOrAdd(client, _ => new Counter(window));
        }
        lock (counter)
        {
            if (counter.Window != window)
            {
                counter.Window = window;
                counter.Count = 0;
            }
            counter.Count++;
        }
    }

    /// <summary>Drops the addresses of past windows (at most once per window); true if there is room afterwards.</summary>
    private bool PruneBefore(long window)
    {
        if (Interlocked.Exchange(ref _lastPrunedWindow, window) != window)
            foreach (var (client, counter) in _clients)
                if (Volatile.Read(ref counter.Window) < window) _clients.TryRemove(client, out _);
        return _clients.Count < options.MaxTrackedClients;
    }

    /// <summary>
    /// The key a client is throttled by: its IPv4 address, or the /64 network of an IPv6 address (one host
    /// usually has a whole /64). Null when the connection has no address (in-process test hosts, Unix sockets):
    /// such requests are not tracked (ADR 8).
    /// </summary>
    public static string? ClientKey(IPAddress? address)
    {
        if (address is null) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address)) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
