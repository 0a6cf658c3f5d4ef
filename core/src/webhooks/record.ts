import type { Knex } from 'knex';
import type { EventType, WebhookEndpointAlert } from '@uah/schemas';
import type { EventStore } from '../events/store.js';
import { preparedQuery } from '../db/prepared.js';
import { WebhookEndpointModel } from './model.js';
import { parseRetryAfter, retryDelayMs } from './policy.js';
import type { ClaimedDelivery, WebhookResponse } from './transport.js';

/** When an endpoint that fails every attempt is warned about, then disabled. */
export interface AlertPolicy {
  /** Failing for this long (and at least `minFailures` in a row) disables the endpoint. @default 24 h */
  disableAfterMs: number;
  /** @default 10 */
  minFailures: number;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = { disableAfterMs: 24 * 60 * 60 * 1000, minFailures: 10 };

export type RecordResult =
  | { outcome: 'DELIVERED' }
  | { outcome: 'RETRY'; nextAttemptAt: Date }
  | { outcome: 'FAILED'; endpointDisabled: boolean }
  /** The delivery changed meanwhile (deleted, redelivered, or taken over after its lease ran out): nothing recorded. */
  | { outcome: 'STALE' };

interface RecordDeps {
  knex: Knex;
  events: Pick<EventStore, 'append'>;
  clock: () => Date;
  alerts: AlertPolicy;
}

const RESPONSE_BODY_LIMIT = 1024;
const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/** The log row of one attempt that ended at `now`. */
export function attemptRow(deliveryId: string, number: number, response: WebhookResponse, now: Date): Record<string, unknown> {
  return {
    delivery_id: deliveryId, number, started_at: new Date(now.getTime() - response.durationMs), status_code: response.statusCode,
    duration_ms: Math.round(response.durationMs), response_body: response.responseBody?.slice(0, RESPONSE_BODY_LIMIT) ?? null, error: response.error?.slice(0, 1000) ?? null,
  };
}

interface Locked {
  status: string;
  attemptCount: number;
  roundAttempts: number;
}

/**
 * Logs one attempt and applies its outcome in one transaction: the attempt row, the delivery's new state
 * (DELIVERED, PENDING at its next time, or FAILED) and the endpoint's failure streak commit together, so a
 * crash can never leave an attempt logged without its effect, or the reverse.
 */
export function recordAttempt(deps: RecordDeps, claimed: ClaimedDelivery, response: WebhookResponse): Promise<RecordResult> {
  const { knex, clock } = deps;
  return knex.transaction(async (trx) => {
    const row = (await trx('webhook_deliveries').select('status', 'attempt_count', 'round_attempts').where('id', claimed.id).forUpdate().first()) as Locked | undefined;
    if (!row || row.status !== 'PENDING' || row.attemptCount !== claimed.attemptNumber - 1) return { outcome: 'STALE' } as const;
    const now = clock();
    await trx('webhook_attempts').insert(attemptRow(claimed.id, claimed.attemptNumber, response, now));
    const base = { attempt_count: claimed.attemptNumber, round_attempts: row.roundAttempts + 1, lease_until: null, updated_at: now };
    if (isSuccess(response.statusCode)) {
      await trx('webhook_deliveries').where('id', claimed.id).update({ ...base, status: 'DELIVERED', delivered_at: now, next_attempt_at: null });
      // Only an endpoint that was failing is written to: a healthy one's row is not contended by every delivery.
      await trx('webhook_endpoints').where('id', claimed.endpointId).where('consecutive_failures', '>', 0).update({ consecutive_failures: 0, failing_since: null, warned_at: null, updated_at: now });
      return { outcome: 'DELIVERED' } as const;
    }
    const endpoint = await WebhookEndpointModel.forOrganization(claimed.organizationId, trx).findById(claimed.endpointId).forUpdate();
    if (!endpoint) return { outcome: 'STALE' } as const;
    const disabled = await trackFailure(deps, trx, endpoint, response, now);
    const retries = row.roundAttempts + 1;
    if (response.statusCode === 410 || retries > endpoint.retryPolicy.maxRetries) {
      await trx('webhook_deliveries').where('id', claimed.id).update({ ...base, status: 'FAILED', next_attempt_at: null });
      return { outcome: 'FAILED', endpointDisabled: disabled } as const;
    }
    let wait = retryDelayMs(endpoint.retryPolicy, retries);
    if (response.statusCode === 429 || response.statusCode === 503) wait = Math.max(wait, parseRetryAfter(response.retryAfter, now.getTime()) ?? 0);
    const nextAttemptAt = new Date(now.getTime() + wait);
    await trx('webhook_deliveries').where('id', claimed.id).update({ ...base, next_attempt_at: nextAttemptAt });
    return { outcome: 'RETRY', nextAttemptAt } as const;
  });
}

/**
 * Counts the failure against the endpoint. `410 Gone` disables it at once; an endpoint failing every attempt
 * for half the alert period (and `minFailures` in a row) is warned about with `webhook_endpoint.failing`,
 * and disabled with `webhook_endpoint.disabled` once the whole period has passed. Returns whether it was disabled.
 */
async function trackFailure(deps: RecordDeps, trx: Knex.Transaction, endpoint: WebhookEndpointModel, response: WebhookResponse, now: Date): Promise<boolean> {
  const { alerts } = deps;
  const failures = endpoint.consecutiveFailures + 1;
  const since = endpoint.failingSince ? new Date(endpoint.failingSince) : now;
  const failingFor = now.getTime() - since.getTime();
  const patch: Partial<WebhookEndpointModel> = { consecutiveFailures: failures, failingSince: since, updatedAt: now };
  let alert: { type: EventType; reason: string | null; disableAt: Date | null } | undefined;
  if (endpoint.status === 'DISABLED') {
    // Disabled already, by an attempt that ended just before this one (several can be in flight): the failure
    // counts, but the endpoint is not disabled, nor warned about, a second time.
  } else if (response.statusCode === 410) {
    alert = { type: 'webhook_endpoint.disabled', reason: 'The endpoint answered 410 Gone.', disableAt: null };
  } else if (failures >= alerts.minFailures && endpoint.warnedAt && failingFor >= alerts.disableAfterMs) {
    alert = { type: 'webhook_endpoint.disabled', reason: `Every attempt failed for ${Math.round(failingFor / 60_000)} minutes (${failures} in a row).`, disableAt: null };
  } else if (failures >= alerts.minFailures && !endpoint.warnedAt && failingFor >= alerts.disableAfterMs / 2) {
    alert = { type: 'webhook_endpoint.failing', reason: `${failures} attempts in a row failed; last: ${response.error ?? `HTTP ${response.statusCode}`}.`, disableAt: new Date(Math.max(since.getTime() + alerts.disableAfterMs, now.getTime())) };
    patch.warnedAt = now;
  }
  const disabling = alert?.type === 'webhook_endpoint.disabled';
  if (disabling) Object.assign(patch, { status: 'DISABLED', disabledReason: alert?.reason ?? null, disabledAt: now });
  await WebhookEndpointModel.forOrganization(endpoint.organizationId, trx).patch(patch).where('id', endpoint.id);
  if (alert) {
    const object: WebhookEndpointAlert = {
      endpointId: endpoint.id, url: endpoint.url, consecutiveFailures: failures, failingSince: since.toISOString(), disableAt: alert.disableAt?.toISOString() ?? null, reason: alert.reason,
    };
    await deps.events.append(trx, [{ type: alert.type, aggregateType: 'webhook_endpoint', aggregateId: endpoint.id, organizationId: endpoint.organizationId, data: { object } }], { source: 'SYSTEM' });
  }
  return disabling;
}

/**
 * Successful attempts recorded together: each row is logged and its delivery marked DELIVERED only if it is
 * still this attempt's. A prepared statement, planned once per connection, possibly while the table was small:
 * the rows are looked up with `= ANY(ARRAY(...))`, which the planner answers from the primary key at any size.
 */
const RECORD_DELIVERED_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset(?::jsonb) AS i(id text, number int, started_at timestamptz, status_code int, duration_ms int, response_body text)
), locked AS (
  SELECT d.id FROM webhook_deliveries d JOIN input i ON i.id = d.id
  WHERE d.id = ANY(ARRAY(SELECT id FROM input)) AND d.status = 'PENDING' AND d.attempt_count = i.number - 1 ORDER BY d.id FOR UPDATE OF d
), logged AS (
  INSERT INTO webhook_attempts (delivery_id, number, started_at, status_code, duration_ms, response_body)
  SELECT i.id, i.number, i.started_at, i.status_code, i.duration_ms, i.response_body FROM input i JOIN locked l ON l.id = i.id RETURNING delivery_id
), delivered AS (
  UPDATE webhook_deliveries d SET status = 'DELIVERED', delivered_at = ?, next_attempt_at = NULL, lease_until = NULL, attempt_count = i.number, round_attempts = d.round_attempts + 1, updated_at = ?
  FROM input i WHERE d.id = i.id AND d.id = ANY(ARRAY(SELECT delivery_id FROM logged))
  RETURNING d.id, d.endpoint_id
), recovering AS (
  -- Locked in id order, as the deliveries above: two workers clearing the same endpoints never deadlock.
  SELECT e.id FROM webhook_endpoints e WHERE e.id IN (SELECT endpoint_id FROM delivered) AND e.consecutive_failures > 0 ORDER BY e.id FOR UPDATE OF e
), cleared AS (
  UPDATE webhook_endpoints e SET consecutive_failures = 0, failing_since = NULL, warned_at = NULL, updated_at = ?
  WHERE e.id IN (SELECT id FROM recovering)
)
SELECT id, endpoint_id FROM delivered`;

/**
 * Records many successful attempts in one transaction (what a busy worker finishes meanwhile), with the same
 * effect as `recordAttempt` for each: the attempt logged, the delivery DELIVERED, the endpoint's failure
 * streak cleared. Returns the ids recorded; the others had changed meanwhile (STALE).
 */
export async function recordDelivered(deps: Pick<RecordDeps, 'knex' | 'clock'>, done: Array<{ claimed: ClaimedDelivery; response: WebhookResponse }>): Promise<Set<string>> {
  if (done.length === 0) return new Set();
  const now = deps.clock();
  const input = done.map(({ claimed, response }) => ({
    id: claimed.id, number: claimed.attemptNumber, started_at: new Date(now.getTime() - response.durationMs).toISOString(), status_code: response.statusCode,
    duration_ms: Math.round(response.durationMs), response_body: response.responseBody?.slice(0, RESPONSE_BODY_LIMIT) ?? null,
  }));
  // One statement, atomic on its own: one round trip where a transaction around two statements took four.
  const rows = await preparedQuery<{ id: string; endpoint_id: string }>(deps.knex, 'webhooks_record_delivered_v1', RECORD_DELIVERED_SQL, [JSON.stringify(input), now, now, now]);
  return new Set(rows.map((row) => row.id));
}
