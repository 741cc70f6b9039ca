// The API, called with the key the person signed in with. The key lives in sessionStorage (this tab only) and goes
// out as "Authorization: Bearer ..." to this origin; nothing else keeps it.

const STORAGE = 'ledger.console.apiKey';

export const session = {
  get key() { return sessionStorage.getItem(STORAGE); },
  signIn(key) { sessionStorage.setItem(STORAGE, key); },
  signOut() { sessionStorage.removeItem(STORAGE); },
};

let onUnauthorized = () => {};
export function whenUnauthorized(handler) { onUnauthorized = handler; }

/** One request; resolves to { ok, status, data, problem } and never throws for an HTTP status. */
export async function api(path, { method = 'GET', body, headers = {}, accept = 'application/json' } = {}) {
  const init = {
    method,
    headers: { Authorization: `Bearer ${session.key ?? ''}`, Accept: accept, ...headers },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    return { ok: false, status: 0, data: null, problem: { title: 'The service did not answer', detail: String(error.message ?? error) } };
  }
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  const result = { ok: response.ok, status: response.status, data, problem: response.ok ? null : (data ?? { title: `HTTP ${response.status}` }), response };
  if (response.status === 401) onUnauthorized(result);
  return result;
}

/** Same as api(), for a body to save as a file (a CSV statement): resolves to { ok, blob, filename, problem }. */
export async function download(path, accept) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${session.key ?? ''}`, Accept: accept }, cache: 'no-store', credentials: 'omit' });
  } catch (error) {
    return { ok: false, problem: { title: 'The service did not answer', detail: String(error.message ?? error) } };
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ title: `HTTP ${response.status}` }));
    if (response.status === 401) onUnauthorized({ status: 401, problem });
    return { ok: false, status: response.status, problem };
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'statement.csv';
  return { ok: true, blob: await response.blob(), filename };
}

/** A problem document as one sentence: title, detail, and each field's errors. */
export function describe(problem) {
  if (!problem) return '';
  const parts = [problem.title, problem.detail].filter(Boolean);
  if (problem.errors) for (const [field, messages] of Object.entries(problem.errors)) parts.push(`${field}: ${[].concat(messages).join(' ')}`);
  return parts.join(' — ');
}

export const q = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
};

export const enc = encodeURIComponent;

/** A fresh Idempotency-Key for one admin action: a double click or a retry applies it once. */
export function idempotencyKey() {
  // getRandomValues, not randomUUID: the console may be served over plain http on a private network (no secure context)
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
