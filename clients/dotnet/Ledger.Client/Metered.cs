namespace Ledger.Client;

/// <summary>What <see cref="LedgerClient.MeteredAsync"/> holds and how.</summary>
/// <param name="Amount">The estimate to hold.</param>
/// <param name="Feature">The feature the operation uses (<c>ai</c> ...); a disabled one answers 403 before anything runs.</param>
public sealed record MeteredOptions(long Amount, string? Feature = null)
{
    /// <summary>The hold's ttl (default 300 s); it is extended while the operation runs.</summary>
    public int? TtlSeconds { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Supply it so a retry after a crash resolves the same hold (default: a new id).</summary>
    public string? ReservationId { get; init; }
    /// <summary>The commit's receipt id (e.g. the AI provider's request id).</summary>
    public string? ReceiptId { get; init; }
    /// <summary>Cancels the operation's token after this long: the hold is released (reason <c>timeout</c>) and TimeoutException thrown.</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>The pending hold an operation runs under.</summary>
public sealed class Hold(string accountId, string reservationId, long amount, ReservationView reservation)
{
    public string AccountId { get; } = accountId;
    public string ReservationId { get; } = reservationId;
    public long Amount { get; } = amount;
    /// <summary>The reservation as of the reserve or the last extension.</summary>
    public ReservationView Reservation { get; internal set; } = reservation;
    /// <summary>Extensions made while the operation ran.</summary>
    public int Extensions { get; internal set; }
}

public partial class LedgerClient
{
    /// <summary>
    /// Reserves <see cref="MeteredOptions.Amount"/>, runs <paramref name="operation"/>, then commits the cost it returns
    /// (its actual cost, which may exceed the hold), or releases the hold if it throws, is cancelled or times out (and
    /// rethrows). The hold is extended every half ttl while the operation runs. The rules are in clients/README.md.
    /// </summary>
    public async Task MeteredAsync(string accountId, MeteredOptions options, Func<Hold, CancellationToken, Task<long>> operation,
        CancellationToken cancellationToken = default) =>
        await MeteredAsync(accountId, options, async (hold, ct) => (await operation(hold, ct), true), cancellationToken);

    /// <summary>As <see cref="MeteredAsync(string, MeteredOptions, Func{Hold, CancellationToken, Task{long}}, CancellationToken)"/>,
    /// for an operation that returns its cost and a value.</summary>
    public async Task<T> MeteredAsync<T>(string accountId, MeteredOptions options, Func<Hold, CancellationToken, Task<(long Cost, T Value)>> operation,
        CancellationToken cancellationToken = default)
    {
        var reservationId = options.ReservationId ?? $"mtr_{Guid.NewGuid()}";
        var ttl = options.TtlSeconds ?? 300;
        var reserved = await ReserveAsync(accountId, new ReserveRequest(options.Amount, reservationId, ttl, options.Feature, options.Metadata),
            idempotencyKey: $"{reservationId}:reserve", cancellationToken: cancellationToken);
        var hold = new Hold(accountId, reservationId, options.Amount, reserved.Reservation);

        using var operationToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Timeout is { } timeout) operationToken.CancelAfter(timeout);
        using var stopExtending = new CancellationTokenSource();
        var extending = KeepAliveAsync(hold, ttl, stopExtending.Token);
        (long Cost, T Value) result;
        try
        {
            result = await operation(hold, operationToken.Token).WaitAsync(operationToken.Token);
        }
        catch (Exception ex)
        {
            await stopExtending.CancelAsync();
            await extending;
            var timedOut = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested && operationToken.IsCancellationRequested;
            var reason = timedOut ? "timeout" : ex is OperationCanceledException ? "cancelled" : $"error: {ex.Message}";
            try
            {
                await ReleaseReservationAsync(accountId, reservationId, new ReleaseRequest(reason.Length > 200 ? reason[..200] : reason),
                    idempotencyKey: $"{reservationId}:release", cancellationToken: CancellationToken.None);
            }
            catch (Exception)
            {
                // The hold then expires at its ttl; the operation's own exception matters more.
            }
            if (timedOut) throw new TimeoutException($"metered operation {reservationId} timed out after {options.Timeout}; its hold was released", ex);
            throw;
        }
        await stopExtending.CancelAsync();
        await extending;
        await CommitReservationAsync(accountId, reservationId, new CommitRequest(result.Cost, options.ReceiptId),
            idempotencyKey: $"{reservationId}:commit", cancellationToken: cancellationToken);
        return result.Value;
    }

    private async Task KeepAliveAsync(Hold hold, int ttlSeconds, CancellationToken stop)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(ttlSeconds / 2.0));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    var answer = await ExtendReservationAsync(hold.AccountId, hold.ReservationId, new ExtendRequest(ttlSeconds),
                        idempotencyKey: $"{hold.ReservationId}:extend:{run}:{hold.Extensions + 1}", cancellationToken: stop);
                    hold.Reservation = answer.Reservation;
                    hold.Extensions++;
                }
                catch (Exception ex) when (ex is LedgerException or LedgerConnectionException)
                {
                    // The next tick tries again; an expired hold shows at commit.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
