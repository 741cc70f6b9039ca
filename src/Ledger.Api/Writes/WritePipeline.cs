namespace Ledger.Api.Writes;

/// <summary>
/// Group commit across accounts, as TigerBeetle batches (docs/adr/0004): every write joins a queue; up to
/// <see cref="WriteOptions.Concurrency"/> batches are in flight, each one transaction holding the commands of many
/// accounts (at most <see cref="WriteOptions.MaxBatch"/>), so while one batch commits the next fills up by itself and
/// a burst costs a few commits instead of one per request. An account is in at most one batch at a time and its
/// commands keep their order; a batch locks its streams in one deterministic order, so batches of several processes
/// never deadlock; a caller hears back only after the batch is durable; a command that fails its batch is isolated by
/// splitting the batch, so it never fails its neighbours (<see cref="WriteBatch"/>).
/// </summary>
public sealed class WritePipeline(WriteBatch batches, WriteOptions options)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<Pending>> _waiting = new(StringComparer.Ordinal);
    private readonly Queue<string> _ready = new();
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private int _running;

    public Task<Written> Submit(WriteRequest request)
    {
        var pending = new Pending(request);
        List<List<Pending>> start;
        lock (_gate)
        {
            var id = request.AccountId;
            if (!_waiting.TryGetValue(id, out var queue))
            {
                _waiting[id] = queue = new Queue<Pending>();
                if (!_busy.Contains(id)) _ready.Enqueue(id);
            }
            queue.Enqueue(pending);
            start = TakeBatches();
        }
        foreach (var batch in start) _ = Task.Run(() => Run(batch));
        return pending.Done.Task;
    }

    /// <summary>Forms batches from ready accounts while fewer than the limit are in flight. Under <see cref="_gate"/>.</summary>
    private List<List<Pending>> TakeBatches()
    {
        var formed = new List<List<Pending>>();
        while (_running < options.Concurrency && _ready.Count > 0)
        {
            var batch = new List<Pending>();
            while (batch.Count < options.MaxBatch && _ready.TryDequeue(out var id))
            {
                var queue = _waiting[id];
                while (batch.Count < options.MaxBatch && queue.TryDequeue(out var next)) batch.Add(next);
                if (queue.Count == 0) _waiting.Remove(id);
                _busy.Add(id);
            }
            _running++;
            formed.Add(batch);
        }
        return formed;
    }

    private async Task Run(List<Pending> batch)
    {
        try
        {
            await batches.Execute(batch);
        }
        finally
        {
            List<List<Pending>> start;
            lock (_gate)
            {
                _running--;
                foreach (var id in batch.Select(p => p.Request.AccountId).Distinct(StringComparer.Ordinal))
                {
                    _busy.Remove(id);
                    if (_waiting.ContainsKey(id)) _ready.Enqueue(id);
                }
                start = TakeBatches();
            }
            foreach (var next in start) _ = Task.Run(() => Run(next));
        }
    }
}

/// <summary>A request waiting for its batch, and how its caller hears the result.</summary>
public sealed class Pending(WriteRequest request)
{
    public WriteRequest Request { get; } = request;
    public TaskCompletionSource<Written> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// How the pipeline batches: <c>LEDGER_WRITE_CONCURRENCY</c> transactions in flight (default 4: on two cores more only
/// queue on the CPU) of at most <c>LEDGER_WRITE_MAX_BATCH</c> commands each (default 128, bounding a batch's lock set
/// and its retry cost).
/// </summary>
public sealed record WriteOptions(int Concurrency = 4, int MaxBatch = 128)
{
    public static WriteOptions From(IConfiguration configuration) => new(
        Bounded(configuration["LEDGER_WRITE_CONCURRENCY"], 4, 1, 64),
        Bounded(configuration["LEDGER_WRITE_MAX_BATCH"], 128, 1, 1024));

    private static int Bounded(string? raw, int fallback, int min, int max) =>
        int.TryParse(raw, out var value) ? Math.Clamp(value, min, max) : fallback;
}
