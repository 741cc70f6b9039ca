import { LedgerConnectionError, LedgerError, type Problem } from './errors.js';
import { problemErrors } from './problems.js';

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

export const defaultRetryPolicy: RetryPolicy = { retries: 4, baseDelayMs: 200, maxDelayMs: 20_000 };

/** Status codes retried with the same Idempotency-Key: rate limits, a request still in progress, server faults. */
const retryable = (status: number, problem: Problem | undefined) =>
  status === 429 || status >= 500 || (status === 409 && problem?.type?.endsWith('/request-in-progress'));

export function backoff(attempt: number, policy: RetryPolicy, retryAfter: string | null): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', abort); resolve(); }, ms);
    const abort = () => { clearTimeout(timer); reject(signal!.reason); };
    signal?.addEventListener('abort', abort, { once: true });
  });

export interface Transport {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  timeoutMs: number;
}

/** One HTTP exchange with retries; a problem answer throws its typed LedgerError. */
export async function send<T>(t: Transport, method: string, path: string, query: object | undefined, body: unknown,
  options: RequestOptions = {}): Promise<T> {
  const url = new URL(t.baseUrl.replace(/\/$/, '') + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { authorization: `Bearer ${t.apiKey}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['idempotency-key'] = options.idempotencyKey ?? crypto.randomUUID();
  const payload = body === undefined ? undefined : JSON.stringify(body);

  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      const signals = [AbortSignal.timeout(t.timeoutMs), ...(options.signal ? [options.signal] : [])];
      response = await t.fetch(url, { method, headers, body: payload, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (attempt >= t.retry.retries) throw new LedgerConnectionError(`${method} ${url.pathname}: ${(error as Error).message}`, { cause: error });
      await sleep(backoff(attempt, t.retry, null), options.signal);
      continue;
    }
    const text = await response.text().catch(() => '');
    const json = text ? safeParse(text) : undefined;
    if (response.ok) return json as T;
    const problem: Problem = isProblem(json) ? json : { type: `/problems/http-${response.status}`, title: response.statusText, status: response.status };
    if (retryable(response.status, problem) && attempt < t.retry.retries) {
      await sleep(backoff(attempt, t.retry, response.headers.get('retry-after')), options.signal);
      continue;
    }
    const ErrorClass = problemErrors[problem.type.split('/').pop() ?? ''] ?? LedgerError;
    throw new ErrorClass(response.status, problem, response.headers);
  }
}

function safeParse(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).type === 'string';
}
