export { LedgerClient } from './client.js';
export { LedgerError, LedgerConnectionError, MeteredTimeoutError } from './errors.js';
export * from './problems.js';
export { operationIndex } from './operations.js';
export { verifyWebhookSignature } from './webhooks.js';
//# sourceMappingURL=index.js.map