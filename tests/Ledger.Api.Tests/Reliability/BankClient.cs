using System.Text.Json;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// One bank-test client: a seeded random walk over reserves, commits below and above the hold, releases, usage,
/// refunds of what it consumed, and (with the admin key) grants, some expiring within seconds; a few holds are
/// abandoned with a short ttl so the expiry timer has work. It keeps what it was told, so its next requests make sense.
/// </summary>
public sealed class BankClient(int id, int seed, IReadOnlyList<string> accounts, IReadOnlyList<HttpClient> writers, IReadOnlyList<HttpClient> admins, BankHistory history)
{
    private readonly Random _random = new(seed);
    private readonly List<(string Account, string Rid, long Amount)> _pending = [];
    private readonly List<(string Account, string Kind, string Id, long Consumed)> _spent = [];
    private readonly Dictionary<string, long> _refunded = [];
    private int _seq;

    public int Operations => _seq;

    public async Task RunAsync(DateTime until, CancellationToken ct)
    {
        while (DateTime.UtcNow < until && !ct.IsCancellationRequested) await StepAsync(ct);
        // holds not abandoned on purpose are resolved before the checker looks, half committed, half released
        foreach (var hold in _pending.ToList()) await ResolveAsync(hold, _random.Next(2) == 0, ct);
    }

    private string Next(string kind) => $"bank-{kind}-{id}-{_seq}";

    private Task<BankOutcome> Send(BankOp op, bool admin, CancellationToken ct)
    {
        var nodes = admin ? admins : writers;
        return history.SendAsync(op, nodes, _random.Next(nodes.Count), ct);
    }

    private async Task StepAsync(CancellationToken ct)
    {
        _seq++;
        var account = accounts[_random.Next(accounts.Count)];
        var roll = _random.Next(100);
        if (roll < 30) await ReserveAsync(account, ct);
        else if (roll < 55 && _pending.Count > 0) await ResolveAsync(_pending[_random.Next(_pending.Count)], _random.Next(100) < 75, ct);
        else if (roll < 80) await UsageAsync(account, ct);
        else if (roll < 92 && _spent.Count > 0) await RefundAsync(_spent[_random.Next(_spent.Count)], ct);
        else if (roll < 97) await GrantAsync(account, ct);
        else await ReserveAsync(account, ct, abandon: true);
    }

    private async Task ReserveAsync(string account, CancellationToken ct, bool abandon = false)
    {
        var rid = Next("r");
        var amount = 1 + _random.Next(60);
        var ttl = abandon ? 2 + _random.Next(4) : 3600;
        var op = new BankOp(id, _seq, "reserve", account, $"/v1/accounts/{account}/reservations",
            JsonSerializer.Serialize(new { reservationId = rid, amount, ttlSeconds = ttl, feature = "ai" }), Next("idem"), rid, amount, rid, abandon,
            DateTimeOffset.UtcNow.AddSeconds(ttl));
        var outcome = await Send(op, false, ct);
        if (outcome.Acknowledged && !abandon) _pending.Add((account, rid, amount));
    }

    /// <summary>Commit below, at or above the hold (the excess drawn from available credits, or 402 and the hold stays), or release.</summary>
    private async Task ResolveAsync((string Account, string Rid, long Amount) hold, bool commit, CancellationToken ct)
    {
        var (account, rid, held) = hold;
        _seq++;
        if (commit)
        {
            var amount = _random.Next(3) switch { 0 => _random.NextInt64(0, held), 1 => held, _ => held + 1 + _random.Next(40) };
            var op = new BankOp(id, _seq, "commit", account, $"/v1/accounts/{account}/reservations/{rid}/commit",
                JsonSerializer.Serialize(new { amount }), Next("idem"), rid, amount, rid);
            var outcome = await Send(op, false, ct);
            if (outcome.Acknowledged)
            {
                _pending.Remove(hold);
                if (amount > 0) _spent.Add((account, "reservation", rid, amount));
                return;
            }
            if (outcome.Status != 402) _pending.Remove(hold); // 409: resolved or expired; unknown: leave it to the timer
            if (outcome.Status == 402) return; // the hold stays pending: released later
        }
        var release = new BankOp(id, _seq, "release", account, $"/v1/accounts/{account}/reservations/{rid}/release",
            JsonSerializer.Serialize(new { reason = "bank test" }), Next("idem-rel"), rid, 0, rid);
        await Send(release, false, ct);
        _pending.Remove(hold);
    }

    private async Task UsageAsync(string account, CancellationToken ct)
    {
        var uid = Next("u");
        var amount = 1 + _random.Next(40);
        var op = new BankOp(id, _seq, "usage", account, $"/v1/accounts/{account}/usage",
            JsonSerializer.Serialize(new { usageId = uid, amount, feature = "ai" }), Next("idem"), uid, amount);
        if ((await Send(op, false, ct)).Acknowledged) _spent.Add((account, "usage", uid, amount));
    }

    private async Task RefundAsync((string Account, string Kind, string Id, long Consumed) spent, CancellationToken ct)
    {
        var left = spent.Consumed - _refunded.GetValueOrDefault(spent.Id);
        if (left <= 0) return;
        var amount = 1 + _random.NextInt64(Math.Min(left, 10));
        var refundId = Next("f");
        object body = spent.Kind == "usage"
            ? new { refundId, usageId = spent.Id, amount, reason = "bank test" }
            : new { refundId, reservationId = spent.Id, amount, reason = "bank test" };
        var op = new BankOp(id, _seq, "refund", spent.Account, $"/v1/accounts/{spent.Account}/refunds", JsonSerializer.Serialize(body), Next("idem"), refundId, amount);
        var outcome = await Send(op, false, ct);
        if (outcome.Acknowledged || outcome.Unknown) _refunded[spent.Id] = _refunded.GetValueOrDefault(spent.Id) + amount;
    }

    private async Task GrantAsync(string account, CancellationToken ct)
    {
        var grantId = Next("g");
        var amount = 20 + _random.Next(120);
        DateTimeOffset? expiresAt = _random.Next(2) == 0 ? DateTimeOffset.UtcNow.AddSeconds(3 + _random.Next(8)) : null;
        var op = new BankOp(id, _seq, "grant", account, $"/v1/accounts/{account}/grants",
            JsonSerializer.Serialize(new { grantId, amount, source = "manual", reason = "bank test", expiresAt }), Next("idem"), grantId, amount, ExpiresAt: expiresAt);
        await Send(op, true, ct);
    }
}
