using System.Diagnostics;
using System.Text.Json;
using Ledger.Api.Tests.Infrastructure;

namespace Ledger.Api.Tests.Stripe;

/// <summary>
/// Signs webhook payloads with stripe-node's <c>webhooks.generateTestHeaderString</c> (npm <c>stripe</c>, pinned in
/// <c>tests/Ledger.Api.Tests/Stripe/node/package.json</c>), exactly as Stripe signs them. One long-lived <c>node</c>
/// process serves the whole test run; if <c>node_modules</c> is missing (a fresh clone), <c>npm ci</c> installs it first.
/// </summary>
public static class StripeNodeSigner
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Process? _node;

    public static async Task<string> SignAsync(string payload, string secret, long timestamp) =>
        (await SignManyAsync([(payload, timestamp)], secret))[0];

    public static async Task<IReadOnlyList<string>> SignManyAsync(IReadOnlyList<(string Payload, long Timestamp)> items, string secret)
    {
        await Gate.WaitAsync();
        try
        {
            var node = await StartAsync();
            var headers = new List<string>(items.Count);
            // Write and read in chunks so neither pipe fills up.
            foreach (var chunk in items.Chunk(200))
            {
                foreach (var (payload, timestamp) in chunk)
                    await node.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { payload, secret, timestamp }));
                await node.StandardInput.FlushAsync();
                for (var i = 0; i < chunk.Length; i++)
                {
                    var line = await node.StandardOutput.ReadLineAsync()
                        ?? throw new InvalidOperationException($"the stripe-node signer exited: {await node.StandardError.ReadToEndAsync()}");
                    if (line.StartsWith("ERROR", StringComparison.Ordinal)) throw new InvalidOperationException($"stripe-node signer: {line}");
                    headers.Add(line);
                }
            }
            return headers;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<Process> StartAsync()
    {
        if (_node is { HasExited: false }) return _node;
        var directory = await NpmTools.InstalledAsync(Path.Combine("tests", "Ledger.Api.Tests", "Stripe", "node"), "stripe");
        var start = new ProcessStartInfo("node", "sign.js")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _node = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { _node.Kill(); } catch (InvalidOperationException) { }
        };
        return _node;
    }
}
