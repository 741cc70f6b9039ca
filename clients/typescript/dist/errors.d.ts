/** An RFC 9457 problem document as the service sends it (type, title, status, detail, and the problem's own members). */
export interface Problem {
    type: string;
    title: string;
    status: number;
    detail?: string;
    errors?: Record<string, string[]>;
    [member: string]: unknown;
}
/**
 * A problem answer from the service. Each problem type has its own subclass (problems.ts: `InsufficientCreditsError`
 * for `/problems/insufficient-credits`, ...), so `catch (e) { if (e instanceof InsufficientCreditsError) ... }` works.
 */
export declare class LedgerError extends Error {
    readonly status: number;
    readonly problem: Problem;
    readonly headers: Headers;
    /** The problem's code: the last segment of its `type` (`insufficient-credits`). */
    readonly code: string;
    constructor(status: number, problem: Problem, headers: Headers);
}
/** The request did not reach an answer after every retry (connection refused or reset, timeout). */
export declare class LedgerConnectionError extends Error {
    constructor(message: string, options?: {
        cause?: unknown;
    });
}
/** The metered callback ran longer than `timeoutMs`: the hold was released with reason `timeout`. */
export declare class MeteredTimeoutError extends Error {
    readonly reservationId: string;
    readonly timeoutMs: number;
    constructor(reservationId: string, timeoutMs: number);
}
