import { AppError } from '@uah/core';
import { ConnectorEntityError } from '@uah/connector-sdk';
import { HandlerFailure } from './worker/connector-worker.js';

/** The provider's refusal or failure as the API answers it: `source: provider`, its status, whether a retry can help. */
export function providerProblem(message: string, provider: { status?: number; retryable: boolean }): AppError {
  return new AppError('PROVIDER_ERROR', message, {
    members: { source: 'provider', providerMessage: message.slice(0, 2000), retryable: provider.retryable, ...(provider.status === undefined ? {} : { providerStatus: provider.status }) },
  });
}

/**
 * A failed handler call as the API answers it: the provider's own refusal (`source: provider`, with
 * its status and whether a retry can help), the core's refusal of what the connector asked (its own
 * code), an OAuth2 integration that must be authorized (again), or the connector's failure
 * (`source: connector`).
 */
export function toProblem(error: unknown): unknown {
  if (!(error instanceof HandlerFailure)) return error;
  const wire = error.error;
  if (wire?.provider) return providerProblem(wire.message, { retryable: wire.provider.retryable, ...(wire.provider.status === undefined ? {} : { status: wire.provider.status }) });
  if (wire?.name === 'AuthorizationError' && (wire.code === 'NOT_AUTHORIZED' || wire.code === 'REAUTHORIZATION_REQUIRED')) {
    return new AppError('OAUTH_AUTHORIZATION_REQUIRED', `${wire.message}: GET …/oauth/authorize starts the authorization.`);
  }
  if (wire?.name === 'AuthorizationError' && wire.code?.startsWith('TOKEN_ENDPOINT_')) return providerProblem(wire.message, { retryable: wire.code === 'TOKEN_ENDPOINT_FAILED' });
  if (wire?.name === 'ConnectorEntityError' && wire.code && (wire.status === 400 || wire.status === 404 || wire.status === 422)) {
    // What the caller asked for cannot be done (no such invoice, an amount the provider cannot charge): a 422 naming the fields, not the connector's failure.
    const errors = (wire.errors ?? []).map((e) => ({ field: e.field ?? '/', in: 'body' as const, message: e.message }));
    return new AppError('UNPROCESSABLE', wire.message, { ...(errors.length > 0 ? { errors } : {}), members: { source: 'connector', retryable: false } });
  }
  if (wire?.name === 'ConnectorEntityError' && wire.code) {
    const entity = new ConnectorEntityError(wire.code, wire.message, wire.status ?? 500, wire.errors ?? []);
    return new AppError('CONNECTOR_FAILED', `The connector's request to the books was refused (${entity.code}): ${entity.message}`, { members: { source: 'connector', retryable: false } });
  }
  return new AppError('CONNECTOR_FAILED', error.message, { members: { source: 'connector', retryable: error.reason === 'TIMEOUT' || error.reason === 'CRASHED' } });
}
