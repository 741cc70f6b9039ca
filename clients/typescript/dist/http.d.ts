/** Per-request options. */
export interface RequestOptions {
    /** Sent as `Idempotency-Key` on a POST (one is generated when absent, so a retried POST never applies twice). */
    idempotencyKey?: string;
    /** Cancels the request (and its retries). */
    signal?: AbortSignal;
}
export interface RetryPolicy {
    /** Attempts after the first (default 4). */
    retries: number;
    /** First backoff in ms, doubled each attempt, with full jitter (default 200). */
    baseDelayMs: number;
    /** Upper bound of one wait, also for `Retry-After` (default 20000). */
    maxDelayMs: number;
}
export declare const defaultRetryPolicy: RetryPolicy;
export declare function backoff(attempt: number, policy: RetryPolicy, retryAfter: string | null): number;
export interface Transport {
    baseUrl: string;
    apiKey: string;
    fetch: typeof fetch;
    retry: RetryPolicy;
    timeoutMs: number;
}
/** One HTTP exchange with retries; a problem answer throws its typed LedgerError. */
export declare function send<T>(t: Transport, method: string, path: string, query: object | undefined, body: unknown, options?: RequestOptions): Promise<T>;
