/**
 * @uah/connector-sdk: the contract a connector implements. A connector imports this package (and its
 * provider's SDK) only: never the core, the hub, or another connector.
 */
export { SDK_VERSION } from './version.js';
export { parseVersion, compareVersions, parseRange, satisfies, type SemVer, type Comparator } from './semver.js';
export { validateManifest, assertValidManifest, ManifestError, type ManifestIssue, type ManifestValidation } from './manifest.js';
export {
  defineConnector,
  resolveConflict,
  ConnectorDefinitionError,
  type ConflictResolution,
  type Connector,
  type ConnectorHandlers,
  type SyncJob,
  type SyncResult,
  type WebhookRequest,
  type WebhookResponse,
  type WebhookVerification,
} from './define.js';
export { AuthorizationError, createConnectorAuth, withBearer, TOKEN_REFRESH_MARGIN_MS, type AccessToken, type AuthorizationErrorCode, type ConnectorAuth, type TokenRequest } from './auth.js';
/**
 * Money as the books keep it: `decimalToMinorUnits('1234.50', 'AUD')` is 123450, exactly (a RangeError
 * for text that is no amount or has more decimals than the currency); `currencyMinorUnits('JPY')` is 0.
 *
 * @example
 * ```ts
 * const amount = decimalToMinorUnits(providerLine.amount, 'AUD');
 * ```
 */
export { currencyMinorUnits, decimalToMinorUnits, isCurrencyCode } from '@uah/schemas';
export { CONSENT_STATE_KEY, CONSENT_EXPIRING_DAYS, consentStatus, reportConsent, type ConsentReport } from './consent.js';
export type { ConnectorContext, ConnectorLogger, ExternalIdMappings, HttpClientFactory, JsonValue, SyncStateStore } from './context.js';
export {
  ENTITY_METHODS,
  PERMISSION_PREFIX,
  type BankTransactionCollection,
  type ConnectorEntities,
  type CreditNoteCollection,
  type EntityCollection,
  type EntityKind,
  type InventoryCollection,
  type InvoiceCollection,
  type Page,
  type PaymentCollection,
  type ProjectCollection,
  type ReadableCollection,
} from './entities.js';
export { ConnectorEntityError, allows, assertAllowed, guardEntities, requiredPermission } from './permissions.js';
export { assertDestination, hostMatches, isAllowedDestination } from './http/destination.js';
export { mapFields, valueAt } from './field-mappings.js';
export { decimalQuantity, decimalToMinor, minorToDecimal } from './money.js';
export { createKeyedQueue, type KeyedQueue } from './serially.js';
export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequestOptions, type HttpResponse, type RetryInfo } from './http/client.js';
export { HttpError, type HttpErrorCode } from './http/errors.js';
export { backoffDelay, parseRetryAfter, type BackoffOptions } from './http/retry.js';
export { paginate, parseNextLink, type PaginateOptions, type PaginationStrategy } from './http/paginate.js';
export { pushUnlinked, type PushUnlinkedOptions } from './push-unlinked.js';
export { buildUrl, type QueryParams, type ResponseType } from './http/request.js';
export { assertSafeUrl, safeLookup, pinnedLookup, addressProblem, UnsafeUrlError, type UrlPolicy, type SafeTarget } from './net/url-guard.js';


/**
 * The schema types a connector works with, re-exported so that a connector depends on this package
 * alone. Each is generated from its JSON Schema in schemas/ and documented there.
 *
 * @example
 * ```ts
 * import type { Customer, Event } from '@uah/connector-sdk';
 * ```
 */
export type {
  Address,
  BankAccount,
  BankAccountCreate,
  BankFeedImport,
  BankReconciliationResult,
  BankReconciliationRun,
  BankStatementImport,
  BankTransaction,
  ConnectorManifest,
  ConnectorPermission,
  IntegrationConsent,
  CreditNote,
  CreditNoteCreate,
  Invoice,
  InvoiceCreate,
  InventoryAdjustment,
  InventoryAdjustmentCreate,
  JournalEntry,
  Milestone,
  MilestoneComplete,
  Project,
  StockLevel,
  Payment,
  PaymentCreate,
  PaymentDisputeCreate,
  PaymentIntent,
  PaymentIntentCreate,
  Payout,
  PayoutItem,
  PayoutRecord,
  PayoutStatus,
  Product,
  TaxRate,
  CurrencyCode,
  Customer,
  CustomerCreate,
  CustomerListQuery,
  CustomerUpdate,
  Event,
  EventMetadata,
  EventType,
  ManifestAction,
  ManifestAuth,
  ManifestDataType,
  ManifestObjectSchema,
  Metadata,
} from '@uah/schemas';

