import { AppError } from '@uah/core';
import { ConnectorEntityError } from '@uah/connector-sdk';
import { HandlerFailure } from './worker/connector-worker.js';

/**
 * A failed handler call as the API answers it: the provider's own refusal (`source: provider`, with
 * its status and whether a retry can help), the core's refusal of what the connector asked (its own
 * code), or the connector's failure (`source: connector`).
 */
export function toProblem(error: unknown): unknown {
  if (!(error instanceof HandlerFailure)) return error;
  const wire = error.error;
  if (wire?.provider) {
    return new AppError('PROVIDER_ERROR', wire.message, {
      members: { source: 'provider', providerMessage: wire.message.slice(0, 2000), retryable: wire.provider.retryable, ...(wire.provider.status === undefined ? {} : { providerStatus: wire.provider.status }) },
    });
  }
  if (wire?.name === 'ConnectorEntityError' && wire.code) {
    const entity = new ConnectorEntityError(wire.code, wire.message, wire.status ?? 500, wire.errors ?? []);
    return new AppError('CONNECTOR_FAILED', `The connector's request to the books was refused (${entity.code}): ${entity.message}`, { members: { source: 'connector', retryable: false } });
  }
  return new AppError('CONNECTOR_FAILED', error.message, { members: { source: 'connector', retryable: error.reason === 'TIMEOUT' || error.reason === 'CRASHED' } });
}
