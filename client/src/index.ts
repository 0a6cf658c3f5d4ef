export * from './portable.js';
/** Receivers verify webhooks on a server: this part uses node:crypto and is not in the browser bundle. */
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookHeaders } from './webhooks.js';
