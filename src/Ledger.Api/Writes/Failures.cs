using System.Net.Sockets;
using Npgsql;

namespace Ledger.Api.Writes;

/// <summary>What went wrong with a transaction, by exception type, so the pipeline knows whether to retry, isolate or give up.</summary>
public static class Failures
{
    /// <summary>Another writer got there first (a stream created, appended or locked meanwhile; a deadlock, a serialization failure): retry.</summary>
    public static bool IsConflict(Exception? ex) => Any(ex, e => e is JasperFx.ConcurrencyException
        or Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException
        or Marten.Exceptions.StreamLockedException or JasperFx.Events.StreamLockedException
        or PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable });

    /// <summary>A unique insert of the request's own lost a race (its Idempotency-Key or a Stripe event's record).</summary>
    public static bool IsDuplicateInsert(Exception? ex) =>
        Any(ex, e => e is JasperFx.DocumentAlreadyExistsException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation });

    /// <summary>The database cannot be reached or is shutting down: nothing was written, and retrying each command alone cannot help.</summary>
    public static bool IsUnavailable(Exception? ex) => !IsConflict(ex) && Any(ex, e => e is SocketException or TimeoutException
        or NpgsqlException { IsTransient: true }
        or PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow });

    private static bool Any(Exception? ex, Func<Exception, bool> match)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (match(e)) return true;
        return ex is AggregateException aggregate && aggregate.InnerExceptions.Any(match);
    }
}
