using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ledger.Client.Tests;

/// <summary>
/// A TCP proxy in front of the service that, for the first request whose bytes contain <c>match</c>, lets the request
/// through and then closes the client's connection instead of passing the response back: the write happened, the caller
/// saw a dropped connection.
/// </summary>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly string _match;
    private readonly CancellationTokenSource _stop = new();
    private int _armed = 1;
    private int _dropped;

    public DroppingProxy(Uri target, string match)
    {
        (_target, _match) = (target, match);
        _listener.Start();
        _ = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
    public int Dropped => Volatile.Read(ref _dropped);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient downstream;
            try
            {
                downstream = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = ServeAsync(downstream);
        }
    }

    private async Task ServeAsync(TcpClient downstream)
    {
        using var _ = downstream;
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_target.Host, _target.Port);
        var drop = false;
        var requests = Pump(downstream.GetStream(), upstream.GetStream(), chunk =>
        {
            if (Encoding.Latin1.GetString(chunk).Contains(_match) && Interlocked.Exchange(ref _armed, 0) == 1) drop = true;
            return true;
        });
        var responses = Pump(upstream.GetStream(), downstream.GetStream(), _ =>
        {
            if (!drop) return true;
            Interlocked.Increment(ref _dropped);
            return false;
        });
        await Task.WhenAny(requests, responses);
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, Func<byte[], bool> pass)
    {
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer)) > 0)
            {
                if (!pass(buffer[..read])) return;
                await to.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
    }
}
