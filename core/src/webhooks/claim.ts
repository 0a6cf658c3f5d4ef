import type { Event } from '@uah/schemas';
import type { SecretBox } from '../shared/secret-box.js';
import { namedStatement } from '../db/prepared.js';
import { newId } from '../shared/ids.js';
import { signingPrevious, type PreviousSecret } from './secrets.js';
import { signatureHeaders } from './signing.js';
import type { ClaimedDelivery } from './transport.js';

/** How long past its timeout an attempt in flight keeps its lease before another process may take it over. */
export const LEASE_MARGIN_MS = 30_000;
/** Due deliveries looked at per claim, among which endpoints and organizations take turns. */
const CLAIM_SCAN = 256;

/** A delivery row leased for an attempt, with what its endpoint needs to send and sign it. */
export interface LeasedRow {
  id: string; organization_id: string; endpoint_id: string; event_id: string; event_type: string; body: string; attempt_count: number;
  url: string; headers: Record<string, string>; timeout_ms: number; secret_sealed: string; previous_secrets: PreviousSecret[] | null;
}

/**
 * The attempts in flight per endpoint: the other workers' leases, read from the lease index keyed by owner
 * (the owner tested as three ranges, so the scan never reads this worker's own entries, live or dead; see
 * migration 0022), and this worker's own count (`:here`, endpoint id → attempts), which leaves out attempts
 * answered but not yet recorded.
 */
const BUSY = `SELECT endpoint_id, sum(n)::int AS n FROM (
    SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
    WHERE status = 'PENDING' AND lease_until IS NOT NULL AND lease_until > :now
      AND (lease_owner IS NULL OR lease_owner < :owner OR lease_owner > :owner) GROUP BY endpoint_id
    UNION ALL SELECT key, value::bigint FROM jsonb_each_text(:here::jsonb)
  ) counted GROUP BY endpoint_id`;

/** Leases an endpoint may have at most: `:window` for those this worker leases ahead for (`:ahead`, a JSON array of ids), else `:perEndpoint`. */
const LIMIT_OF = (endpoint: string): string => `(CASE WHEN ${endpoint} IN (SELECT jsonb_array_elements_text(:ahead::jsonb)) THEN :window::int ELSE :perEndpoint::int END)`;

const LEASE_UNTIL = (timeout: string): string => `:now::timestamptz + make_interval(secs => (${timeout} + ${LEASE_MARGIN_MS}) / 1000.0)`;

/**
 * Takes due deliveries: those waiting in time order (skipping endpoints whose slots are all in flight, so a
 * hanging endpoint's backlog never hides the others), then those whose lease ran out (their process died).
 * Each endpoint stays within its slots and organizations take turns; the rows are locked and leased.
 */
export const CLAIM = namedStatement('webhooks_claim_v1', `
WITH busy AS (${BUSY}
), due AS (
  (SELECT d.id, d.organization_id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
   JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'ACTIVE'
   WHERE d.status = 'PENDING' AND d.lease_until IS NULL AND d.next_attempt_at <= :now
     AND d.endpoint_id NOT IN (SELECT endpoint_id FROM busy WHERE n >= ${LIMIT_OF('busy.endpoint_id')})
   ORDER BY d.next_attempt_at LIMIT ${CLAIM_SCAN})
  UNION ALL
  (SELECT d.id, d.organization_id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
   JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.status = 'ACTIVE'
   WHERE d.status = 'PENDING' AND d.lease_until IS NOT NULL AND d.lease_until <= :now
   ORDER BY d.lease_until LIMIT ${CLAIM_SCAN})
), ranked AS (
  SELECT due.*, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS endpoint_rank,
         row_number() OVER (PARTITION BY organization_id ORDER BY next_attempt_at, id) AS org_rank
  FROM due
), chosen AS (
  SELECT r.id FROM ranked r LEFT JOIN busy b ON b.endpoint_id = r.endpoint_id
  WHERE r.endpoint_rank + COALESCE(b.n, 0) <= ${LIMIT_OF('r.endpoint_id')} ORDER BY r.org_rank, r.next_attempt_at LIMIT :limit
), locked AS (
  SELECT d.id FROM webhook_deliveries d WHERE d.id IN (SELECT id FROM chosen) AND d.status = 'PENDING' AND (d.lease_until IS NULL OR d.lease_until <= :now)
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET lease_until = ${LEASE_UNTIL('e.timeout_ms')}, lease_owner = :owner
FROM webhook_endpoints e WHERE d.id IN (SELECT id FROM locked) AND e.id = d.endpoint_id
RETURNING d.id, d.organization_id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempt_count, e.url, e.headers, e.timeout_ms, e.secret_sealed, e.previous_secrets`);

/**
 * Inserts the deliveries of a batch of events (one per active endpoint whose filter names the type, its
 * kind's wildcard or `*`; a repeat of an event adds none) and leases at once those that may go now: their
 * endpoint has a free slot and no older delivery waiting (which keeps each endpoint's order), within the
 * `slots` this process has free. The rest wait for a claim. Rows leased come back with their endpoint.
 */
export const INGEST = namedStatement('webhooks_ingest_v1', `
WITH input AS (
  SELECT * FROM jsonb_to_recordset(:events::jsonb)
    AS i(ord int, base_id text, organization_id text, event_id text, event_type text, kind text, body text, event_timestamp timestamptz)
), matched AS (
  SELECT i.*, e.id AS endpoint_id, e.timeout_ms, row_number() OVER (PARTITION BY e.id ORDER BY i.ord) AS endpoint_rank
  FROM input i JOIN webhook_endpoints e ON e.organization_id = i.organization_id AND e.status = 'ACTIVE' AND e.events \\?| ARRAY['*', i.event_type, i.kind || '.*']
  WHERE e.organization_id = ANY(ARRAY(SELECT DISTINCT organization_id FROM input))
), busy AS (${BUSY}
), eligible AS (
  SELECT m.*, (m.endpoint_rank + COALESCE(b.n, 0) <= ${LIMIT_OF('m.endpoint_id')} AND NOT EXISTS (
    SELECT 1 FROM webhook_deliveries w WHERE w.endpoint_id = m.endpoint_id AND w.status = 'PENDING' AND w.lease_until IS NULL AND w.next_attempt_at <= :now
  )) AS free
  FROM matched m LEFT JOIN busy b ON b.endpoint_id = m.endpoint_id
), placed AS (
  SELECT e.*, (e.free AND row_number() OVER (PARTITION BY e.free ORDER BY e.endpoint_rank, e.ord) <= :slots) AS leased,
         row_number() OVER (PARTITION BY e.ord ORDER BY e.endpoint_id) AS n
  FROM eligible e
), inserted AS (
  INSERT INTO webhook_deliveries (id, organization_id, endpoint_id, event_id, event_type, body, status, next_attempt_at, lease_until, lease_owner, event_timestamp, created_at, updated_at)
  SELECT p.base_id || lpad(to_hex(p.n), 3, '0'), p.organization_id, p.endpoint_id, p.event_id, p.event_type, p.body, 'PENDING', :now,
         CASE WHEN p.leased THEN ${LEASE_UNTIL('p.timeout_ms')} END, CASE WHEN p.leased THEN :owner END, p.event_timestamp, :now, :now
  FROM placed p ORDER BY p.ord, p.endpoint_id
  ON CONFLICT (endpoint_id, event_id) DO NOTHING
  RETURNING id, organization_id, endpoint_id, event_id, event_type, body, attempt_count, lease_until
)
SELECT i.id, i.organization_id, i.endpoint_id, i.event_id, i.event_type, i.body, i.attempt_count, i.lease_until IS NOT NULL AS leased,
       e.url, e.headers, e.timeout_ms, e.secret_sealed, e.previous_secrets
FROM inserted i JOIN webhook_endpoints e ON e.id = i.endpoint_id`);

/** The JSON input of `INGEST`: one row per event, its body the exact bytes that will be signed and sent. */
export function ingestInput(events: readonly Event[]): string {
  return JSON.stringify(events.map((event, ord) => ({
    ord, base_id: newId('msg'), organization_id: event.organizationId, event_id: event.id, event_type: event.type,
    kind: event.type.split('.')[0] ?? event.type, body: JSON.stringify(event), event_timestamp: event.timestamp,
  })));
}

/** Turns leased rows into signed requests; opened secrets are kept by sealed value (opening is cheap, but not at a thousand a second). */
export function createSigner(secretBox: SecretBox): (row: LeasedRow, now: Date) => ClaimedDelivery {
  const opened = new Map<string, string>();
  const open = (sealed: string): string => {
    let secret = opened.get(sealed);
    if (secret === undefined) {
      if (opened.size > 10_000) opened.clear();
      secret = secretBox.open(sealed);
      opened.set(sealed, secret);
    }
    return secret;
  };
  return (row, now) => {
    const secrets = [row.secret_sealed, ...signingPrevious(row.previous_secrets, now)].map(open);
    const signed = signatureHeaders({ id: row.id, timestamp: Math.floor(now.getTime() / 1000), body: row.body, eventType: row.event_type, secrets });
    return {
      id: row.id, organizationId: row.organization_id, endpointId: row.endpoint_id, eventId: row.event_id, eventType: row.event_type, attemptNumber: row.attempt_count + 1,
      request: { url: row.url, headers: { ...row.headers, 'content-type': 'application/json', ...signed }, body: row.body, timeoutMs: row.timeout_ms },
    };
  };
}
