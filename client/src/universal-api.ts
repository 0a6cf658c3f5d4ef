import { resources, streamOptions, type ClientOptions, type UahClient } from './client.js';
import { createEventStream, type EventStream } from './event-emitter.js';
import { createTransport, normalizeBaseUrl } from './transport.js';
import type { DryRunAction, DryRunOptions, DryRunWrite } from './resources/context.js';
import type { RequestOptions } from './transport.js';
import type { PaymentIntent, PaymentIntentCreate } from '@uah/schemas';

/** A write with a dry run, taking the organization first. */
export interface OrgDryRunWrite<B, R, P> {
  (organizationId: string, body: B, options: DryRunOptions & { dryRun: true }): Promise<P>;
  (organizationId: string, body: B, options?: DryRunOptions & { dryRun?: false }): Promise<R>;
  (organizationId: string, body: B, options?: DryRunOptions): Promise<R | P>;
}

/** An action with a dry run on one object, taking the organization first. */
export interface OrgDryRunAction<B, R, P> {
  (organizationId: string, id: string, body: B, options: DryRunOptions & { dryRun: true }): Promise<P>;
  (organizationId: string, id: string, body: B, options?: DryRunOptions & { dryRun?: false }): Promise<R>;
  (organizationId: string, id: string, body: B, options?: DryRunOptions): Promise<R | P>;
}

/** A resource group of the organization-bound client, with the organization as every method's first argument. */
export type PerOrganization<R> = {
  [K in keyof R]: R[K] extends DryRunWrite<infer B, infer Res, infer P>
    ? OrgDryRunWrite<B, Res, P>
    : R[K] extends DryRunAction<infer B, infer Res, infer P>
      ? OrgDryRunAction<B, Res, P>
      : R[K] extends (...args: infer A) => infer T
        ? (organizationId: string, ...args: A) => T
        : never;
};

/** Groups not bound to one organization: their methods take no organization id. */
type UnboundGroup = 'organizations' | 'connectors';
type Groups = Omit<UahClient, 'organizationId' | 'forOrganization' | UnboundGroup>;
type GroupName = keyof Groups;

const GROUPS = [
  'apiKeys', 'customers', 'events', 'accounts', 'journalEntries', 'ledgerSettings', 'products', 'taxRates', 'quotes',
  'invoices', 'invoiceSettings', 'creditNotes', 'payments', 'payouts', 'reports', 'vendors', 'purchaseOrders', 'bills', 'expenses',
  'inventory', 'data', 'projects', 'milestones', 'timeEntries', 'timesheets', 'payrollRuns', 'bankAccounts', 'bankTransactions',
  'webhooks', 'integrations',
] as const satisfies readonly GroupName[];
/** Fails to compile when a group of the organization-bound client is missing above. */
const _everyGroup: Exclude<GroupName, (typeof GROUPS)[number]> extends never ? true : never = true;

export interface UniversalAccountingAPIOptions extends Pick<ClientOptions, 'apiKey' | 'fetch' | 'maxRetries' | 'WebSocket'> {
  /** The hub's address, with or without the `/v1` suffix (`https://hub.example.com` or `…/v1`). */
  baseUrl: string;
  /** Milliseconds allowed for one attempt of a request. @default 60000 */
  timeout?: number;
}

export interface SubscribeOptions {
  /** Resume after this event id (the `lastEventId` of an earlier subscription): nothing in between is missed. */
  after?: string;
  /** Without `after`: `now` (default) streams what commits once the stream is live; `start` replays the whole log first. */
  from?: 'now' | 'start';
}

/**
 * The hub's API with the organization as the first argument of every call: the form of the hub's original
 * specification. It shares its implementation with `createClient`, the organization-bound form.
 *
 * @example
 * ```ts
 * const api = new UniversalAccountingAPI({ baseUrl: 'http://localhost:3000/v1', apiKey: process.env.UAH_API_KEY! });
 * const customer = await api.customers.create(orgId, { firstName: 'John', lastName: 'Doe', email: 'john@example.com' });
 * const subscription = api.subscribe(orgId, ['invoice.paid']);
 * subscription.on('invoice.paid', (event) => console.log('paid', event.aggregateId));
 * await subscription.ready;
 * ```
 */
export class UniversalAccountingAPI {
  readonly apiKeys!: PerOrganization<UahClient['apiKeys']>;
  readonly customers!: PerOrganization<UahClient['customers']>;
  readonly events!: PerOrganization<UahClient['events']>;
  readonly accounts!: PerOrganization<UahClient['accounts']>;
  readonly journalEntries!: PerOrganization<UahClient['journalEntries']>;
  readonly ledgerSettings!: PerOrganization<UahClient['ledgerSettings']>;
  readonly products!: PerOrganization<UahClient['products']>;
  readonly taxRates!: PerOrganization<UahClient['taxRates']>;
  readonly quotes!: PerOrganization<UahClient['quotes']>;
  readonly invoices!: PerOrganization<UahClient['invoices']> & {
    /** The invoice's PDF (the specification's name for `pdf`). */
    generatePDF(organizationId: string, invoiceId: string, options?: RequestOptions): Promise<Uint8Array>;
  };
  readonly invoiceSettings!: PerOrganization<UahClient['invoiceSettings']>;
  readonly creditNotes!: PerOrganization<UahClient['creditNotes']>;
  readonly payments!: PerOrganization<UahClient['payments']> & {
    /** Records a payment (the specification's name for `create`). */
    recordPayment: PerOrganization<UahClient['payments']>['create'];
    /**
     * The specification's name for `createIntent(organizationId, 'stripe', body)`: the generic
     * `POST …/payments/{connectorId}/intent` with the connector id `stripe`. Until a connector of that id
     * is installed and enabled for the organization it rejects with a `UahApiError` 404 NOT_FOUND
     * ("No integration with stripe in this organization."); 409 INTEGRATION_INACTIVE while it is disabled.
     */
    createStripeIntent(organizationId: string, body: PaymentIntentCreate, options?: RequestOptions): Promise<PaymentIntent>;
  };
  /** Payouts recorded by payment connectors: `payouts.list(orgId, { amount, currency })`, `payouts.get(orgId, id)`. */
  readonly payouts!: PerOrganization<UahClient['payouts']>;
  readonly reports!: PerOrganization<UahClient['reports']>;
  readonly vendors!: PerOrganization<UahClient['vendors']>;
  readonly purchaseOrders!: PerOrganization<UahClient['purchaseOrders']>;
  readonly bills!: PerOrganization<UahClient['bills']>;
  readonly expenses!: PerOrganization<UahClient['expenses']>;
  readonly inventory!: PerOrganization<UahClient['inventory']>;
  readonly data!: PerOrganization<UahClient['data']>;
  readonly projects!: PerOrganization<UahClient['projects']>;
  readonly milestones!: PerOrganization<UahClient['milestones']>;
  readonly timeEntries!: PerOrganization<UahClient['timeEntries']>;
  readonly timesheets!: PerOrganization<UahClient['timesheets']>;
  readonly payrollRuns!: PerOrganization<UahClient['payrollRuns']>;
  readonly bankAccounts!: PerOrganization<UahClient['bankAccounts']>;
  readonly bankTransactions!: PerOrganization<UahClient['bankTransactions']>;
  /** Webhook endpoints: `webhooks.list(orgId)`, `webhooks.create(orgId, { url, events })`, `webhooks.test(orgId, id)`, … */
  readonly webhooks!: PerOrganization<UahClient['webhooks']>;
  readonly integrations!: PerOrganization<UahClient['integrations']>;
  /** Organizations: creating one needs the hub's admin token as `apiKey`. */
  readonly organizations: UahClient['organizations'];
  /** The hub's connector catalog. */
  readonly connectors: UahClient['connectors'];
  readonly #forOrganization: (organizationId: string) => UahClient;

  constructor(options: UniversalAccountingAPIOptions) {
    const baseUrl = normalizeBaseUrl(options.baseUrl);
    const transport = createTransport({
      baseUrl, apiKey: options.apiKey,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
    });
    const stream = streamOptions({ baseUrl, apiKey: options.apiKey, ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}) });
    const unbound = resources(transport, undefined, stream);
    this.#forOrganization = (organizationId) => unbound.forOrganization(organizationId);
    this.organizations = unbound.organizations;
    this.connectors = unbound.connectors;
    const self = this as unknown as Record<GroupName, Record<string, unknown>>;
    for (const group of GROUPS) {
      const methods: Record<string, unknown> = {};
      for (const name of Object.keys(unbound[group])) {
        methods[name] = (organizationId: string, ...args: unknown[]) => {
          const method = (this.#forOrganization(organizationId)[group] as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
          return method?.(...args);
        };
      }
      self[group] = methods;
    }
    Object.assign(this.invoices, { generatePDF: this.invoices.pdf });
    Object.assign(this.payments, {
      recordPayment: this.payments.create,
      createStripeIntent: (organizationId: string, body: PaymentIntentCreate, o?: RequestOptions) => this.payments.createIntent(organizationId, 'stripe', body, o),
    });
  }

  /** The organization-bound client for one organization (`createClient`'s form). */
  forOrganization(organizationId: string): UahClient {
    return this.#forOrganization(organizationId);
  }

  /**
   * Streams the organization's events of the given types (exact, or wildcards such as `invoice.*`; none
   * for every event) to the handlers registered with `on`. It reconnects by itself and resumes after the
   * last event received. Events that commit before `ready` resolves are streamed only with `after` or
   * `from: 'start'`: await `ready` before the writes whose events you wait for.
   */
  subscribe(organizationId: string, events: readonly string[] = [], options: SubscribeOptions = {}): EventStream {
    const client = this.#forOrganization(organizationId);
    return createEventStream((o) => client.events.subscribe(o), events, options);
  }
}
