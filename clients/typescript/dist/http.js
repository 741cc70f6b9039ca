import { LedgerConnectionError, LedgerError } from './errors.js';
import { problemErrors } from './problems.js';
export const defaultRetryPolicy = { retries: 4, baseDelayMs: 200, maxDelayMs: 20_000 };
/** Status codes retried with the same Idempotency-Key: rate limits, a request still in progress, server faults. */
const retryable = (status, problem) => status === 429 || status >= 500 || (status === 409 && problem?.type?.endsWith('/request-in-progress'));
export function backoff(attempt, policy, retryAfter) {
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0)
        return Math.min(seconds * 1000, policy.maxDelayMs);
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
}
const sleep = (ms, signal) => new Promise((resolve, reject) => {
    if (signal?.aborted)
        return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', abort); resolve(); }, ms);
    const abort = () => { clearTimeout(timer); reject(signal.reason); };
    signal?.addEventListener('abort', abort, { once: true });
});
/** One HTTP exchange with retries; a problem answer throws its typed LedgerError. */
export async function send(t, method, path, query, body, options = {}) {
    const url = new URL(t.baseUrl.replace(/\/$/, '') + path);
    for (const [name, value] of Object.entries(query ?? {})) {
        if (value !== undefined && value !== null)
            url.searchParams.set(name, String(value));
    }
    const headers = { authorization: `Bearer ${t.apiKey}`, accept: 'application/json' };
    if (body !== undefined)
        headers['content-type'] = 'application/json';
    if (method !== 'GET')
        headers['idempotency-key'] = options.idempotencyKey ?? crypto.randomUUID();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    for (let attempt = 0;; attempt++) {
        let response;
        try {
            const signals = [AbortSignal.timeout(t.timeoutMs), ...(options.signal ? [options.signal] : [])];
            response = await t.fetch(url, { method, headers, body: payload, signal: AbortSignal.any(signals) });
        }
        catch (error) {
            if (options.signal?.aborted)
                throw options.signal.reason;
            if (attempt >= t.retry.retries)
                throw new LedgerConnectionError(`${method} ${url.pathname}: ${error.message}`, { cause: error });
            await sleep(backoff(attempt, t.retry, null), options.signal);
            continue;
        }
        const text = await response.text().catch(() => '');
        const json = text ? safeParse(text) : undefined;
        if (response.ok)
            return json;
        const problem = isProblem(json) ? json : { type: `/problems/http-${response.status}`, title: response.statusText, status: response.status };
        if (retryable(response.status, problem) && attempt < t.retry.retries) {
            await sleep(backoff(attempt, t.retry, response.headers.get('retry-after')), options.signal);
            continue;
        }
        const ErrorClass = problemErrors[problem.type.split('/').pop() ?? ''] ?? LedgerError;
        throw new ErrorClass(response.status, problem, response.headers);
    }
}
function safeParse(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
function isProblem(value) {
    return typeof value === 'object' && value !== null && typeof value.type === 'string';
}
//# sourceMappingURL=http.js.map