/** One signed POST to an endpoint. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** A delivery taken for one attempt: the signed request and what is needed to record the outcome. */
export interface ClaimedDelivery {
  id: string;
  organizationId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** This attempt's number (1 for the first). */
  attemptNumber: number;
  request: WebhookRequest;
}

/** What came back: `statusCode` null when nothing did (`error` says why: timeout, refused, unsafe address). */
export interface WebhookResponse {
  statusCode: number | null;
  durationMs: number;
  /** The first kilobyte of the answer. */
  responseBody: string | null;
  error: string | null;
  /** The `Retry-After` header, as sent. */
  retryAfter: string | null;
}

/**
 * How webhooks leave the process, injected by the hub: the core never opens a connection itself. `checkUrl`
 * judges a URL at registration (the same guard runs again at each delivery, on the resolved address).
 */
export interface WebhookTransport {
  /** Why the URL may not be registered, or undefined when it may. */
  checkUrl(url: string): Promise<string | undefined>;
  send(request: WebhookRequest): Promise<WebhookResponse>;
}

/** The transport of a core that was given none: it refuses every URL, so nothing is registered that could not be sent. */
export const UNCONFIGURED_TRANSPORT: WebhookTransport = {
  checkUrl: () => Promise.resolve('webhook delivery is not configured in this process'),
  send: () => Promise.resolve({ statusCode: null, durationMs: 0, responseBody: null, error: 'webhook delivery is not configured in this process', retryAfter: null }),
};
