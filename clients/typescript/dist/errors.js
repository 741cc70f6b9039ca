/**
 * A problem answer from the service. Each problem type has its own subclass (problems.ts: `InsufficientCreditsError`
 * for `/problems/insufficient-credits`, ...), so `catch (e) { if (e instanceof InsufficientCreditsError) ... }` works.
 */
export class LedgerError extends Error {
    status;
    problem;
    headers;
    /** The problem's code: the last segment of its `type` (`insufficient-credits`). */
    code;
    constructor(status, problem, headers) {
        super(`${status} ${problem.type}: ${problem.detail ?? problem.title}`);
        this.status = status;
        this.problem = problem;
        this.headers = headers;
        this.name = new.target.name;
        this.code = problem.type?.split('/').pop() ?? String(status);
    }
}
/** The request did not reach an answer after every retry (connection refused or reset, timeout). */
export class LedgerConnectionError extends Error {
    constructor(message, options) {
        super(message, options);
        this.name = 'LedgerConnectionError';
    }
}
/** The metered callback ran longer than `timeoutMs`: the hold was released with reason `timeout`. */
export class MeteredTimeoutError extends Error {
    reservationId;
    timeoutMs;
    constructor(reservationId, timeoutMs) {
        super(`metered operation ${reservationId} timed out after ${timeoutMs} ms; its hold was released`);
        this.reservationId = reservationId;
        this.timeoutMs = timeoutMs;
        this.name = 'MeteredTimeoutError';
    }
}
//# sourceMappingURL=errors.js.map