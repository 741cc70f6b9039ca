export { LedgerClient, type LedgerClientOptions, type MeteredOptions, type MeteredResult, type Hold, type Reservation } from './client.js';
export { LedgerError, LedgerConnectionError, MeteredTimeoutError, type Problem } from './errors.js';
export * from './problems.js';
export { operationIndex } from './operations.js';
export type { RequestOptions, RetryPolicy } from './http.js';
export type { Body, Json, Query } from './types.js';
export type { paths, components } from './schema.js';
export { verifyWebhookSignature } from './webhooks.js';
