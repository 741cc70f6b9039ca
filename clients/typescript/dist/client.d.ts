import { LedgerOperations } from './operations.js';
import { type RequestOptions, type RetryPolicy } from './http.js';
import type { components } from './schema.js';
export type Reservation = components['schemas']['ReservationView'];
export interface LedgerClientOptions {
    /** The service, e.g. `http://127.0.0.1:5080`. */
    baseUrl: string;
    /** `lk_live_...`, sent as `Authorization: Bearer`. */
    apiKey: string;
    /** Retries of network errors, 5xx and 429 (same Idempotency-Key each time). */
    retry?: Partial<RetryPolicy>;
    /** Time limit of one attempt (default 30 s). */
    timeoutMs?: number;
    /** A fetch implementation (default: the global one). */
    fetch?: typeof fetch;
}
export interface MeteredOptions {
    /** The estimate to hold. */
    amount: number;
    feature?: string;
    /** The hold's ttl (default 300); the helper extends it while the callback runs. */
    ttlSeconds?: number;
    metadata?: Record<string, string>;
    /** Supply it to make a retry after a crash resolve the same hold (default: a new id). */
    reservationId?: string;
    /** Aborts the callback's signal, releases the hold (reason `timeout`) and rejects with MeteredTimeoutError. */
    timeoutMs?: number;
    /** Cancels: the hold is released (reason `cancelled`) and the abort reason rethrown. */
    signal?: AbortSignal;
    /** The commit's receipt id (e.g. the AI provider's request id). */
    receiptId?: string;
}
/** What the callback gets: the pending hold, and a signal aborted on timeout or cancellation. */
export interface Hold {
    accountId: string;
    reservationId: string;
    amount: number;
    reservation: Reservation;
    signal: AbortSignal;
    /** Extensions made so far while the callback ran. */
    extensions: number;
}
export type MeteredResult<T> = number | {
    cost: number;
    value: T;
};
/** The Ledger v1 API (every operation, from the OpenAPI document) and the metered helper. */
export declare class LedgerClient extends LedgerOperations {
    private readonly transport;
    constructor(options: LedgerClientOptions);
    protected call<T>(method: string, path: string, pathParams: Record<string, string>, query: object | undefined, body: unknown, options?: RequestOptions): Promise<T>;
    /**
     * Reserve `amount`, run `operation`, then commit what it returns (its actual cost), or release the hold if it
     * throws, times out or is cancelled (and rethrow). See clients/README.md for the exact rules.
     */
    metered<T = undefined>(accountId: string, options: MeteredOptions, operation: (hold: Hold) => Promise<MeteredResult<T>>): Promise<T | undefined>;
    /** Every item of a cursor list (`limit`, `starting_after`, `has_more`), page after page. */
    paginate<Item>(list: (startingAfter: string | undefined) => Promise<{
        data: Item[];
        has_more: boolean;
    }>, id: (item: Item) => string): AsyncGenerator<Item>;
    /** Every event of an account's stream from `after` on (the events list's `next` cursor), page after page. */
    events(accountId: string, query?: {
        after?: number;
        limit?: number;
        type?: string;
        from?: string;
        to?: string;
    }): AsyncGenerator<{
        sequence: number;
        version: number;
        type: string;
        at: string;
        timestamp: string;
        data: components["schemas"]["JsonElement"];
        metadata: components["schemas"]["EventMetadataView"];
    }, void, unknown>;
    /** The open holds of an account (reservations with status `pending`), every page. */
    pendingReservations(accountId: string): AsyncGenerator<Reservation>;
}
