import Stripe from 'stripe';
import { backoffDelay, HttpError, parseRetryAfter, type ConnectorContext } from '@uah/connector-sdk';

export interface Credentials {
  secretKey: string;
  webhookSecret: string;
}
export interface Config {
  apiBase?: string;
}
export type StripeContext = ConnectorContext<Credentials, Config>;

/** Attempts of a call Stripe answered 429 (its `Retry-After` is waited for, at most `MAX_WAIT_MS`). */
const RATE_LIMIT_ATTEMPTS = 4;
const MAX_WAIT_MS = 10_000;

/** The official client, pointed at `config.apiBase` (Stripe itself by default); it retries 5xx and network failures. */
export function stripeOf(ctx: StripeContext): Stripe {
  const base = new URL(ctx.config.apiBase ?? 'https://api.stripe.com');
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(ctx.credentials.secretKey, {
    host: base.hostname,
    port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
    protocol,
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
  });
}

/** Stripe's refusal as the SDK's HttpError, so the hub answers it as the provider's (502, status, retryable). */
function asHttpError(error: unknown, what: string, attempts: number): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const status = error.statusCode;
  const detail = `${status ?? 'no answer'}: ${error.type}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  return new HttpError({
    code: status === undefined ? 'NETWORK' : 'HTTP_STATUS', method: 'STRIPE', url: `https://api.stripe.com/${what}`, attempts, detail,
    ...(status === undefined ? {} : { status }),
    body: { error: { type: error.type, code: error.code ?? null, message: error.message, decline_code: error.decline_code ?? null } },
  });
}

/**
 * Runs one Stripe call: a 429 is retried after Stripe's `Retry-After` (the SDK itself does not wait for
 * it), anything else Stripe refuses becomes an HttpError naming `what`.
 */
export async function call<T>(ctx: StripeContext, what: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const limited = error instanceof Stripe.errors.StripeError && error.statusCode === 429;
      if (!limited || attempt >= RATE_LIMIT_ATTEMPTS || ctx.signal.aborted) throw asHttpError(error, what, attempt);
      const header = (error.headers as Record<string, string> | undefined)?.['retry-after'];
      const wait = Math.min(parseRetryAfter(header) ?? backoffDelay(attempt), MAX_WAIT_MS);
      ctx.logger.warn('stripe rate limit: waiting', { what, waitMs: wait, attempt });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
