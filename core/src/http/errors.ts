/**
 * The one registry of error codes. Each code has a stable problem `type` URI, a title and a status;
 * services throw `AppError`s and the boundary in problem.ts renders them as RFC 9457 problem+json.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  INVALID_JSON: { status: 400, title: 'The body is not valid JSON' },
  JSON_LIMIT_EXCEEDED: { status: 400, title: 'The body nests deeper, or holds more members or items, than accepted' },
  INVALID_CURSOR: { status: 400, title: 'The cursor is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FORBIDDEN: { status: 403, title: 'The API key lacks a scope this request needs' },
  CSRF_TOKEN_INVALID: { status: 403, title: "The session's CSRF token is missing or wrong" },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  NOT_ACCEPTABLE: { status: 406, title: 'Not acceptable' },
  CONFLICT: { status: 409, title: 'Conflict' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'The idempotency key was used with another request' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: 'A request with this idempotency key is still being processed' },
  BODY_TOO_LARGE: { status: 413, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  UNPROCESSABLE: { status: 422, title: 'The request cannot be carried out' },
  WEBHOOK_URL_UNSAFE: { status: 422, title: 'The webhook URL is not allowed' },
  PAYMENT_EXCEEDS_BALANCE: { status: 422, title: 'The payment applied exceeds the invoice balance' },
  APPLICATIONS_EXCEED_PAYMENT: { status: 422, title: 'The applications exceed what the payment has to apply' },
  REFUND_EXCEEDS_REFUNDABLE: { status: 422, title: 'The refund exceeds what is left to refund' },
  DISPUTE_EXCEEDS_DISPUTABLE: { status: 422, title: 'The dispute exceeds what is left of the payment' },
  INVALID_STATE_TRANSITION: { status: 409, title: "The document's status does not allow this action" },
  DUPLICATE_SKU: { status: 409, title: 'A product with this SKU already exists' },
  DUPLICATE_INVOICE_NUMBER: { status: 409, title: 'An invoice with this number already exists' },
  INSUFFICIENT_STOCK: { status: 409, title: 'Not enough stock on hand' },
  BILL_EXCEEDS_ORDER: { status: 422, title: 'The bill receives more than the purchase order has left to receive' },
  QUOTE_ALREADY_CONVERTED: { status: 409, title: 'The quote was already converted into an invoice' },
  INVOICE_HAS_PAYMENTS: { status: 409, title: 'Payments or credit notes are applied to the invoice' },
  CREDIT_EXCEEDS_BALANCE: { status: 422, title: 'The credit note exceeds the invoice balance' },
  CUSTOMER_EMAIL_MISSING: { status: 422, title: 'The customer has no email address' },
  MAIL_DELIVERY_FAILED: { status: 502, title: 'The email could not be delivered' },
  STATEMENT_UNREADABLE: { status: 422, title: 'The statement file cannot be read' },
  PERIOD_LOCKED: { status: 422, title: 'The accounting period is locked' },
  UNBALANCED_ENTRY: { status: 422, title: 'The journal entry does not balance' },
  ACCOUNT_INACTIVE: { status: 422, title: 'The account is inactive' },
  ALREADY_REVERSED: { status: 409, title: 'The journal entry has been reversed already' },
  PROJECT_NOT_ACTIVE: { status: 409, title: "The project's status does not allow this" },
  TIMESHEET_LOCKED: { status: 409, title: 'The timesheet of that week is submitted' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  PROVIDER_ERROR: { status: 502, title: 'The provider refused the request' },
  CONNECTOR_FAILED: { status: 502, title: 'The connector failed' },
  CONNECTOR_UNAVAILABLE: { status: 422, title: 'The connector is not available' },
  INTEGRATION_INACTIVE: { status: 409, title: 'The integration is not active' },
  WEBHOOK_VERIFICATION_FAILED: { status: 400, title: 'The webhook signature could not be verified' },
  OAUTH_NOT_SUPPORTED: { status: 409, title: 'The connector does not authorize with OAuth2' },
  OAUTH_STATE_INVALID: { status: 400, title: 'The OAuth state is not valid' },
  OAUTH_STATE_EXPIRED: { status: 400, title: 'The OAuth state has expired' },
  OAUTH_STATE_USED: { status: 400, title: 'The OAuth state was used already' },
  OAUTH_AUTHORIZATION_REQUIRED: { status: 409, title: 'The integration must be authorized with the provider' },
  WEBHOOK_IN_PROGRESS: { status: 409, title: 'The same webhook is being processed' },
  INTERNAL: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  field: string;
  in?: 'body' | 'query' | 'path' | 'header';
  message: string;
}

export const PROBLEM_TYPE_BASE = 'https://docs.uah.dev/errors/';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  /** More members of the problem (e.g. `source`, `providerStatus`, `retryable` for a provider's error). */
  readonly members: Record<string, string | number | boolean> | undefined;
  readonly expose = true;

  constructor(code: ErrorCode, detail?: string, extra?: { errors?: FieldError[]; headers?: Record<string, string>; members?: Record<string, string | number | boolean> }) {
    super(detail ?? ERRORS[code].title);
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.errors = extra?.errors;
    this.headers = extra?.headers;
    this.members = extra?.members;
  }
}

export const notFound = (what: string, id?: string): AppError =>
  new AppError('NOT_FOUND', id ? `No ${what} ${id} in this organization.` : `No such ${what}.`);

/** The same answer whether the organization does not exist or the key belongs to another one. */
export const organizationNotFound = (id: string): AppError => new AppError('NOT_FOUND', `No organization ${id}.`);

export const validationFailed = (errors: FieldError[], detail?: string): AppError =>
  new AppError('VALIDATION_FAILED', detail ?? `The request has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}.`, { errors });

export const unprocessable = (detail: string, errors?: FieldError[]): AppError =>
  new AppError('UNPROCESSABLE', detail, errors ? { errors } : undefined);

export const conflict = (detail: string): AppError => new AppError('CONFLICT', detail);
