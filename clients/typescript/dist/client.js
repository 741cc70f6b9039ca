import { LedgerOperations } from './operations.js';
import { defaultRetryPolicy, send } from './http.js';
import { MeteredTimeoutError } from './errors.js';
/** The Ledger v1 API (every operation, from the OpenAPI document) and the metered helper. */
export class LedgerClient extends LedgerOperations {
    transport;
    constructor(options) {
        super();
        this.transport = {
            baseUrl: options.baseUrl,
            apiKey: options.apiKey,
            fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
            retry: { ...defaultRetryPolicy, ...options.retry },
            timeoutMs: options.timeoutMs ?? 30_000,
        };
    }
    call(method, path, pathParams, query, body, options) {
        const resolved = path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(pathParams[name] ?? ''));
        return send(this.transport, method, resolved, query, body, options);
    }
    /**
     * Reserve `amount`, run `operation`, then commit what it returns (its actual cost), or release the hold if it
     * throws, times out or is cancelled (and rethrow). See clients/README.md for the exact rules.
     */
    async metered(accountId, options, operation) {
        const reservationId = options.reservationId ?? `mtr_${crypto.randomUUID()}`;
        const ttlSeconds = options.ttlSeconds ?? 300;
        const run = crypto.randomUUID().slice(0, 8);
        const { reservation } = await this.reserve(accountId, {
            reservationId, amount: options.amount, ttlSeconds, feature: options.feature, metadata: options.metadata,
        }, { idempotencyKey: `${reservationId}:reserve`, signal: options.signal });
        const controller = new AbortController();
        const hold = { accountId, reservationId, amount: options.amount, reservation, signal: controller.signal, extensions: 0 };
        let extending = Promise.resolve();
        const heartbeat = setInterval(() => {
            const n = hold.extensions + 1;
            extending = this.extendReservation(accountId, reservationId, { ttlSeconds }, { idempotencyKey: `${reservationId}:extend:${run}:${n}` })
                .then((answer) => { hold.extensions = n; hold.reservation = answer.reservation; })
                .catch(() => { });
        }, (ttlSeconds * 1000) / 2);
        let timeout;
        const stop = new Promise((_, reject) => {
            if (options.timeoutMs !== undefined) {
                timeout = setTimeout(() => reject(new MeteredTimeoutError(reservationId, options.timeoutMs)), options.timeoutMs);
            }
            options.signal?.addEventListener('abort', () => reject(options.signal.reason), { once: true });
        });
        let result;
        try {
            result = await Promise.race([operation(hold), stop]);
        }
        catch (error) {
            controller.abort(error);
            clearInterval(heartbeat);
            clearTimeout(timeout);
            await extending;
            const reason = error instanceof MeteredTimeoutError ? 'timeout'
                : options.signal?.aborted ? 'cancelled' : `error: ${String(error?.message ?? error)}`.slice(0, 200);
            await this.releaseReservation(accountId, reservationId, { reason }, { idempotencyKey: `${reservationId}:release` })
                .catch(() => { });
            throw error;
        }
        clearInterval(heartbeat);
        clearTimeout(timeout);
        await extending;
        const cost = typeof result === 'number' ? result : result.cost;
        await this.commitReservation(accountId, reservationId, { amount: cost, receiptId: options.receiptId }, { idempotencyKey: `${reservationId}:commit` });
        return typeof result === 'number' ? undefined : result.value;
    }
    /** Every item of a cursor list (`limit`, `starting_after`, `has_more`), page after page. */
    async *paginate(list, id) {
        let after;
        for (;;) {
            const page = await list(after);
            yield* page.data;
            if (!page.has_more || page.data.length === 0)
                return;
            after = id(page.data[page.data.length - 1]);
        }
    }
    /** Every event of an account's stream from `after` on (the events list's `next` cursor), page after page. */
    async *events(accountId, query = {}) {
        let after = query.after;
        for (;;) {
            const page = await this.listEvents(accountId, { ...query, after: after?.toString(), limit: query.limit?.toString() });
            yield* page.items;
            if (page.next === null || page.next === undefined || page.items.length === 0)
                return;
            after = page.next;
        }
    }
    /** The open holds of an account (reservations with status `pending`), every page. */
    pendingReservations(accountId) {
        return this.paginate((startingAfter) => this.listReservations(accountId, { status: 'pending', limit: '100', starting_after: startingAfter }), (r) => r.reservationId);
    }
}
//# sourceMappingURL=client.js.map