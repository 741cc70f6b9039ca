namespace Ledger.Api.Idempotency;

/// <summary>
/// The first response to a request sent with an <c>Idempotency-Key</c>, stored in the same
/// transaction as the write it guards and replayed byte for byte for <see cref="Retention"/>.
/// </summary>
public sealed record IdempotencyRecord(
    string Id, string Fingerprint, int Status, string Body, string ContentType, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
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
            if (replayed) context.Response.Headers["Idempotent-Replayed"] = "true";
            return context.Response.WriteAsync(reply.Body, context.RequestAborted);
        }
    }
}

/// <summary>Set on a request carrying an Idempotency-Key that is new: the write path records its reply through it.</summary>
public sealed record IdempotencyScope(string Id, string Key, string Fingerprint, bool ReplacesExpired = false)
{
    public IdempotencyRecord Record(HttpReply reply, DateTimeOffset now) =>
        new(Id, Fingerprint, reply.Status, reply.Body, reply.ContentType, now, now + IdempotencyRecord.Retention);

    /// <summary>
    /// Adds the reply to the write's own session. A new key is inserted, so a concurrent first use in
    /// another process loses the race and rolls back; a key whose record expired is overwritten.
    /// </summary>
    public void Save(Marten.IDocumentSession session, HttpReply reply, DateTimeOffset now)
    {
        var record = Record(reply, now);
        if (ReplacesExpired) session.Store(record);
        else session.Insert(record);
    }
}
