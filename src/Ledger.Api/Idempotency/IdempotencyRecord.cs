namespace Ledger.Api.Idempotency;

/// <summary>
/// The first response to a request sent with an <c>Idempotency-Key</c>, stored in the same transaction as the write it
/// guards and replayed for <see cref="Retention"/>: an account write's <see cref="Receipt"/> (its outcome, rendered by
/// its endpoint on every answer), or the reply of another write (<see cref="Status"/>, <see cref="Body"/>).
/// </summary>
public sealed record IdempotencyRecord(
    string Id, string Fingerprint, int Status, string Body, string ContentType, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    string? Receipt = null)
{
    public static readonly TimeSpan Retention = TimeSpan.FromHours(48);
}

/// <summary>The reply the service gives, kept as text so a replay is identical to the first answer.</summary>
public sealed record HttpReply(int Status, string Body, string ContentType = "application/json")
{
    public IResult ToResult(bool replayed = false) => new ReplyResult(this, replayed);

    private sealed class ReplyResult(HttpReply reply, bool replayed) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = reply.ContentType;
            if (replayed) context.Response.Headers[IdempotencyMiddleware.ReplayedHeader] = "true";
            return context.Response.WriteAsync(reply.Body, context.RequestAborted);
        }
    }
}

/// <summary>Set on a request carrying an Idempotency-Key that is new: the write path records its result through it.</summary>
public sealed record IdempotencyScope(string Id, string Key, string Fingerprint, bool ReplacesExpired = false)
{
    /// <summary>
    /// Adds the reply to the write's own session. A new key is inserted, so a concurrent first use in another process
    /// loses the race and rolls back; a key whose record expired is overwritten.
    /// </summary>
    public void Save(Marten.IDocumentSession session, HttpReply reply, DateTimeOffset now) =>
        Write(session, new IdempotencyRecord(Id, Fingerprint, reply.Status, reply.Body, reply.ContentType, now, now + IdempotencyRecord.Retention));

    /// <summary>Adds an account write's receipt to its own transaction, as <see cref="Save"/> does a reply.</summary>
    public void SaveReceipt(Marten.IDocumentSession session, string receipt, DateTimeOffset now) =>
        Write(session, new IdempotencyRecord(Id, Fingerprint, 0, "", "", now, now + IdempotencyRecord.Retention, receipt));

    private void Write(Marten.IDocumentSession session, IdempotencyRecord record)
    {
        if (ReplacesExpired) session.Store(record);
        else session.Insert(record);
    }
}

/// <summary>Set on a request whose Idempotency-Key already holds an account write's receipt: its endpoint answers from it.</summary>
public sealed record IdempotentReplay(string Receipt);
