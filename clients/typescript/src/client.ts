import { LedgerOperations } from './operations.js';
import { defaultRetryPolicy, send, type RequestOptions, type RetryPolicy, type Transport } from './http.js';
import { MeteredTimeoutError } from './errors.js';
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

export type MeteredResult<T> = number | { cost: number; value: T };

/** The Ledger v1 API (every operation, from the OpenAPI document) and the metered helper. */
export class LedgerClient extends LedgerOperations {
  private readonly transport: Transport;

  constructor(options: LedgerClientOptions) {
    super();
    this.transport = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: { ...defaultRetryPolicy, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
    };
  }

  protected call<T>(method: string, path: string, pathParams: Record<string, string>, query: object | undefined, body: unknown,
    options?: RequestOptions): Promise<T> {
    const resolved = path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(pathParams[name] ?? ''));
    return send<T>(this.transport, method, resolved, query, body, options);
  }

  /**
   * Reserve `amount`, run `operation`, then commit what it returns (its actual cost), or release the hold if it
   * throws, times out or is cancelled (and rethrow). See clients/README.md for the exact rules.
   */
  async metered<T = undefined>(accountId: string, options: MeteredOptions,
    operation: (hold: Hold) => Promise<MeteredResult<T>>): Promise<T | undefined> {
    const reservationId = options.reservationId ?? `mtr_${crypto.randomUUID()}`;
    const ttlSeconds = options.ttlSeconds ?? 300;
    const run = crypto.randomUUID().slice(0, 8);
    const { reservation } = await this.reserve(accountId, {
      reservationId, amount: options.amount, ttlSeconds, feature: options.feature, metadata: options.metadata,
    }, { idempotencyKey: `${reservationId}:reserve`, signal: options.signal });

    const controller = new AbortController();
    const hold: Hold = { accountId, reservationId, amount: options.amount, reservation, signal: controller.signal, extensions: 0 };
    let extending: Promise<unknown> = Promise.resolve();
    const heartbeat = setInterval(() => {
      const n = hold.extensions + 1;
      extending = this.extendReservation(accountId, reservationId, { ttlSeconds }, { idempotencyKey: `${reservationId}:extend:${run}:${n}` })
        .then((answer) => { hold.extensions = n; hold.reservation = answer.reservation; })
        .catch(() => { /* the next beat tries again; an expired hold shows at commit */ });
    }, (ttlSeconds * 1000) / 2);
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const stop = new Promise<never>((_, reject) => {
      if (options.timeoutMs !== undefined) {
        timeout = setTimeout(() => reject(new MeteredTimeoutError(reservationId, options.timeoutMs!)), options.timeoutMs);
      }
      options.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true });
    });
    stop.catch(() => { /* observed by the race below; a later abort must not be an unhandled rejection */ });

    let result: MeteredResult<T>;
    try {
      result = await Promise.race([operation(hold), stop]);
    } catch (error) {
      controller.abort(error);
      clearInterval(heartbeat);
      clearTimeout(timeout);
      await extending;
      const reason = error instanceof MeteredTimeoutError ? 'timeout'
        : options.signal?.aborted ? 'cancelled' : `error: ${String((error as Error)?.message ?? error)}`.slice(0, 200);
      await this.releaseReservation(accountId, reservationId, { reason }, { idempotencyKey: `${reservationId}:release` })
        .catch(() => { /* the hold then expires at its ttl; the operation's own error matters more */ });
      throw error;
    }
    clearInterval(heartbeat);
    clearTimeout(timeout);
    await extending;
    const cost = typeof result === 'number' ? result : result.cost;
    await this.commitReservation(accountId, reservationId, { amount: cost, receiptId: options.receiptId },
      { idempotencyKey: `${reservationId}:commit` });
    return typeof result === 'number' ? undefined : result.value;
  }

  /** Every item of a cursor list (`limit`, `starting_after`, `has_more`), page after page. */
  async *paginate<Item>(list: (startingAfter: string | undefined) => Promise<{ data: Item[]; has_more: boolean }>,
    id: (item: Item) => string): AsyncGenerator<Item> {
    let after: string | undefined;
    for (;;) {
      const page = await list(after);
      yield* page.data;
      if (!page.has_more || page.data.length === 0) return;
      after = id(page.data[page.data.length - 1]);
    }
  }

  /** Every event of an account's stream from `after` on (the events list's `next` cursor), page after page. */
  async *events(accountId: string, query: { after?: number; limit?: number; type?: string; from?: string; to?: string } = {}) {
    let after = query.after;
    for (;;) {
      const page = await this.listEvents(accountId, { ...query, after, limit: query.limit });
      yield* page.items;
      if (page.next === null || page.next === undefined || page.items.length === 0) return;
      after = page.next;
    }
  }

  /** The open holds of an account (reservations with status `pending`), every page. */
  pendingReservations(accountId: string): AsyncGenerator<Reservation> {
    return this.paginate((startingAfter) => this.listReservations(accountId, { status: 'pending', limit: 100, starting_after: startingAfter }),
      (r) => r.reservationId);
  }
}
