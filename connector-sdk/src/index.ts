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
export { AuthorizationError, createConnectorAuth, withBearer, TOKEN_REFRESH_MARGIN_MS, type AccessToken, type AuthorizationErrorCode, type ConnectorAuth } from './auth.js';
export type { ConnectorContext, ConnectorLogger, ExternalIdMappings, HttpClientFactory, JsonValue, SyncStateStore } from './context.js';
export {
  ENTITY_METHODS,
  PERMISSION_PREFIX,
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
export { createHttpClient, type HttpClient, type HttpClientOptions, type HttpRequestOptions, type HttpResponse, type RetryInfo } from './http/client.js';
export { HttpError, type HttpErrorCode } from './http/errors.js';
export { backoffDelay, parseRetryAfter, type BackoffOptions } from './http/retry.js';
export { paginate, parseNextLink, type PaginateOptions, type PaginationStrategy } from './http/paginate.js';
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
  ConnectorManifest,
  ConnectorPermission,
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
