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
export class LedgerError extends Error {
  /** The problem's code: the last segment of its `type` (`insufficient-credits`). */
  readonly code: string;
  constructor(readonly status: number, readonly problem: Problem, readonly headers: Headers) {
    super(`${status} ${problem.type}: ${problem.detail ?? problem.title}`);
    this.name = new.target.name;
    this.code = problem.type?.split('/').pop() ?? String(status);
  }
}

/** The request did not reach an answer after every retry (connection refused or reset, timeout). */
export class LedgerConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LedgerConnectionError';
  }
}

/** The metered callback ran longer than `timeoutMs`: the hold was released with reason `timeout`. */
export class MeteredTimeoutError extends Error {
  constructor(readonly reservationId: string, readonly timeoutMs: number) {
    super(`metered operation ${reservationId} timed out after ${timeoutMs} ms; its hold was released`);
    this.name = 'MeteredTimeoutError';
  }
}
