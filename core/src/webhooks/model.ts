import type { WebhookEventFilter, WebhookHeaders, WebhookRetryPolicy } from '@uah/schemas';
import { TenantModel } from '../db/tenant-model.js';
import type { PreviousSecret } from './secrets.js';

export type EndpointStatus = 'ACTIVE' | 'DISABLED';
export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export class WebhookEndpointModel extends TenantModel {
  static override tableName = 'webhook_endpoints';
  id!: string;
  url!: string;
  description!: string | null;
  events!: WebhookEventFilter[];
  headers!: WebhookHeaders;
  timeoutMs!: number;
  retryPolicy!: WebhookRetryPolicy;
  status!: EndpointStatus;
  disabledReason!: string | null;
  disabledAt!: Date | null;
  secretSealed!: string;
  /** Secrets rotated out that still sign during their grace period, newest first. */
  previousSecrets!: PreviousSecret[];
  consecutiveFailures!: number;
  failingSince!: Date | null;
  warnedAt!: Date | null;
  metadata!: Record<string, string>;
  createdAt!: Date;
  updatedAt!: Date;

  static override get jsonAttributes(): string[] {
    return ['events', 'headers', 'retryPolicy', 'metadata', 'previousSecrets'];
  }
}

export class WebhookDeliveryModel extends TenantModel {
  static override tableName = 'webhook_deliveries';
  id!: string;
  endpointId!: string;
  eventId!: string;
  eventType!: string;
  body!: string;
  status!: DeliveryStatus;
  attemptCount!: number;
  roundAttempts!: number;
  nextAttemptAt!: Date | null;
  leaseUntil!: Date | null;
  deliveredAt!: Date | null;
  eventTimestamp!: Date;
  /** A ping sent by `POST /webhooks/{id}/test`, not an event of the log. */
  test!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export interface AttemptRow {
  deliveryId: string;
  number: number;
  startedAt: Date;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
}
