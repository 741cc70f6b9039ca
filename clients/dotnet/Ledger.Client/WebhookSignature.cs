using System.Security.Cryptography;
using System.Text;

namespace Ledger.Client;

/// <summary>Operator webhooks: <c>Ledger-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c> (Stripe's scheme).</summary>
public static class WebhookSignature
{
    /// <summary>
    /// True when a v1 signature matches the raw body under the secret (or one of several, comma-separated while rotating)
    /// and <c>t</c> is within <paramref name="tolerance"/> (default 300 s) of now (older deliveries are replays).
    /// </summary>
    public static bool Verify(string secret, string header, ReadOnlySpan<byte> body, TimeSpan? tolerance = null, DateTimeOffset? now = null)
    {
        string? t = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            var (key, value) = part.IndexOf('=') is var i and > 0 ? (part[..i], part[(i + 1)..]) : (part, "");
            if (key == "t") t = value;
            else if (key == "v1" && value.Length == 64) try { signatures.Add(Convert.FromHexString(value)); } catch (FormatException) { }
        }
        if (t is null || !long.TryParse(t, out var seconds) || signatures.Count == 0) return false;
        var age = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() - seconds;
        if (Math.Abs(age) > (tolerance ?? TimeSpan.FromSeconds(300)).TotalSeconds) return false;
        var signed = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t + ".").CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(t.Length + 1));
        foreach (var s in secret.Split(',', StringSplitOptions.TrimEntries))
        {
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), signed);
            if (signatures.Any(v => CryptographicOperations.FixedTimeEquals(v, expected))) return true;
        }
        return false;
    }
}
