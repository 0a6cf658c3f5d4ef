import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, outsideTransaction, randomToken, type SecretBox } from '@uah/core';
import { AuthorizationError, TOKEN_REFRESH_MARGIN_MS, type AccessToken, type ConnectorManifest } from '@uah/connector-sdk';
import type { IntegrationAuthorization, OAuthAuthorization, OAuthCallbackQuery, OAuthConnected } from '@uah/schemas';
import type { Catalog } from '../catalog.js';
import { providerProblem } from '../failures.js';
import { signState, verifyState } from './state.js';
import { requestTokens, TokenEndpointError, type OAuth2Settings, type OAuthClient, type TokenGrant, type TokenSet } from './token-endpoint.js';
import { authorizationOf, hintOf, scopesOf, type OAuthColumns } from './view.js';

/** How long an authorization may take, from the authorize call to the callback. */
export const STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/v1/oauth/callback';

export interface OAuthService {
  /** Starts an authorization: the provider's URL with a signed single-use state (and PKCE when the manifest asks). */
  authorize(organizationId: string, connectorId: string): Promise<OAuthAuthorization>;
  /** Verifies the state, exchanges the code and stores the tokens sealed. */
  callback(query: OAuthCallbackQuery): Promise<OAuthConnected>;
  /**
   * A token valid for at least the margin, refreshed first when needed (by one process at a time), or
   * when it is the token the provider has just `rejected` (a 401 before its expiry).
   */
  accessToken(organizationId: string, connectorId: string, request?: { rejected?: string | undefined }): Promise<AccessToken>;
}

export interface OAuthDeps {
  knex: Knex;
  catalog: Pick<Catalog, 'get'>;
  secrets: SecretBox;
  /** Token endpoints on loopback and private addresses (development, tests). */
  allowPrivate: boolean;
  /** The hub's public base URL, where the provider sends the browser back (`PUBLIC_URL`). */
  publicUrl: () => string;
}

interface Row extends OAuthColumns {
  organizationId: string;
  connectorId: string;
  connectorVersion: string;
  isActive: boolean;
  credentialsSealed: string;
}

/** What the tokens column holds once opened. */
interface Sealed {
  accessToken: string;
  refreshToken?: string | undefined;
  /** What the provider added to the callback (QuickBooks' realmId): the connector reads it, the API never shows it. */
  params?: Record<string, string> | undefined;
}

/** The callback's own parameters; any other the provider adds is kept for the connector. */
const CALLBACK_PARAMS = new Set(['state', 'code', 'error', 'error_description', 'scope']);

function extraParams(query: OAuthCallbackQuery): Record<string, string> | undefined {
  const extra = Object.entries(query).filter((e): e is [string, string] => !CALLBACK_PARAMS.has(e[0]) && typeof e[1] === 'string');
  return extra.length > 0 ? Object.fromEntries(extra) : undefined;
}

const refusal = (code: 'NOT_AUTHORIZED' | 'REAUTHORIZATION_REQUIRED', connectorId: string): AuthorizationError =>
  new AuthorizationError(code, code === 'NOT_AUTHORIZED' ? `the integration with ${connectorId} has not been authorized with the provider yet` : `the provider refused the refresh token of ${connectorId}: the organization must authorize again`);

function endpointProblem(error: unknown): unknown {
  if (!(error instanceof TokenEndpointError)) return error;
  return providerProblem(error.message, { retryable: error.kind === 'failed', ...(error.status === undefined ? {} : { status: error.status }) });
}

export function createOAuthService(deps: OAuthDeps): OAuthService {
  const { knex, secrets } = deps;
  const embedded = (knex.client as { config?: { client?: unknown } }).config?.client !== 'pg';
  const refreshing = new Map<string, Promise<AccessToken>>();
  const rowOf = (db: Knex | Knex.Transaction, organizationId: string, connectorId: string): Promise<Row | undefined> =>
    db('integrations').where({ organization_id: organizationId, connector_id: connectorId }).first<Row | undefined>();

  function settingsOf(row: Row): { manifest: ConnectorManifest; oauth2: OAuth2Settings; client: OAuthClient } {
    const manifest = deps.catalog.get(row.connectorId, row.connectorVersion)?.manifest;
    if (!manifest) throw new AppError('CONNECTOR_UNAVAILABLE', `${row.connectorId}@${row.connectorVersion} is not installed.`);
    const oauth2 = manifest.auth.type === 'oauth2' ? manifest.auth.oauth2 : undefined;
    if (!oauth2) throw new AppError('OAUTH_NOT_SUPPORTED', `${row.connectorId} does not authorize with OAuth2 (its auth type is ${manifest.auth.type}).`);
    const credentials = JSON.parse(secrets.open(row.credentialsSealed)) as { clientId?: unknown; clientSecret?: unknown };
    if (typeof credentials.clientId !== 'string') throw new AppError('UNPROCESSABLE', 'The integration credentials have no clientId: give the OAuth client with PUT first.');
    return { manifest, oauth2, client: { clientId: credentials.clientId, clientSecret: typeof credentials.clientSecret === 'string' && credentials.clientSecret ? credentials.clientSecret : undefined } };
  }

  async function activeRow(organizationId: string, connectorId: string): Promise<Row> {
    const row = await rowOf(knex, organizationId, connectorId);
    if (!row) throw new AppError('NOT_FOUND', `No integration with ${connectorId} in this organization.`);
    if (!row.isActive) throw new AppError('INTEGRATION_INACTIVE', `The integration with ${connectorId} is disabled; enable it with PUT first.`);
    return row;
  }

  async function store(db: Knex | Knex.Transaction, row: Row, tokens: TokenSet, previous: Sealed | undefined, requested: string[], params?: Record<string, string>): Promise<void> {
    const kept: Sealed = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken ?? previous?.refreshToken, params: params ?? previous?.params };
    // A refresh that does not name the scopes keeps those granted; a first grant that does not, those asked for.
    const scopes = tokens.scopes ?? (previous ? scopesOf(row) : requested);
    await db('integrations').where({ organization_id: row.organizationId, connector_id: row.connectorId }).update({
      oauth_status: 'AUTHORIZED', oauth_sealed: secrets.seal(JSON.stringify(kept)), oauth_hint: hintOf(kept.accessToken, kept.refreshToken !== undefined),
      oauth_expires_at: tokens.expiresAt, oauth_scopes: JSON.stringify(scopes), updated_at: db.fn.now(),
      ...(previous ? { oauth_refreshed_at: db.fn.now() } : { oauth_authorized_at: db.fn.now(), oauth_refreshed_at: null }),
    });
  }

  const fresh = (row: Row | undefined, now = Date.now()): boolean =>
    row?.oauthStatus === 'AUTHORIZED' && row.oauthSealed !== null && (row.oauthExpiresAt === null || new Date(row.oauthExpiresAt).getTime() - TOKEN_REFRESH_MARGIN_MS > now);

  function tokenOf(row: Row): AccessToken {
    const sealed = JSON.parse(secrets.open(row.oauthSealed ?? '')) as Sealed;
    return { accessToken: sealed.accessToken, tokenType: 'Bearer', expiresAt: row.oauthExpiresAt ? new Date(row.oauthExpiresAt).toISOString() : null, scopes: scopesOf(row), ...(sealed.params ? { params: sealed.params } : {}) };
  }

  /**
   * Runs `work` holding the integration's refresh lock: a transaction-scoped advisory lock on PostgreSQL
   * (another hub process waits, then finds the token it stored), nothing more on the embedded database,
   * which one process alone uses. Outside any request's transaction: a refreshed token is committed
   * whatever becomes of the request that needed it.
   */
  function locked<T>(organizationId: string, connectorId: string, work: (db: Knex | Knex.Transaction) => Promise<T>): Promise<T> {
    return outsideTransaction(() => {
      if (embedded) return work(knex);
      return knex.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 13))', [`oauth ${organizationId} ${connectorId}`]);
        return work(trx);
      });
    });
  }

  /** Re-reads under the lock: another process may have refreshed meanwhile, or found the grant refused. */
  async function refresh(organizationId: string, connectorId: string, rejected: string | undefined): Promise<AccessToken> {
    const outcome = await locked(organizationId, connectorId, async (db): Promise<AccessToken | AuthorizationError> => {
      const row = await rowOf(db, organizationId, connectorId);
      if (!row?.oauthSealed) return refusal('NOT_AUTHORIZED', connectorId);
      if (fresh(row) && tokenOf(row).accessToken !== rejected) return tokenOf(row);
      if (row.oauthStatus === 'REAUTHORIZATION_REQUIRED') return refusal('REAUTHORIZATION_REQUIRED', connectorId);
      const previous = JSON.parse(secrets.open(row.oauthSealed)) as Sealed;
      const { manifest, oauth2, client } = settingsOf(row);
      try {
        if (!previous.refreshToken) throw new TokenEndpointError('invalid_grant', 'the provider gave no refresh token');
        const tokens = await requestTokens({ settings: oauth2, allowedHosts: manifest.allowedHosts ?? [], allowPrivate: deps.allowPrivate, client, grant: { grant_type: 'refresh_token', refresh_token: previous.refreshToken } });
        await store(db, row, tokens, previous, oauth2.scopes);
        return tokenOf((await rowOf(db, organizationId, connectorId)) as Row);
      } catch (error) {
        if (!(error instanceof TokenEndpointError)) throw error;
        if (error.kind !== 'invalid_grant') return new AuthorizationError(error.kind === 'failed' ? 'TOKEN_ENDPOINT_FAILED' : 'TOKEN_ENDPOINT_REFUSED', `refreshing the access token failed: ${error.message}`);
        // Committed with the lock: every process sees it at once and none asks the provider again.
        await db('integrations').where({ organization_id: organizationId, connector_id: connectorId }).update({ oauth_status: 'REAUTHORIZATION_REQUIRED', updated_at: db.fn.now() });
        return refusal('REAUTHORIZATION_REQUIRED', connectorId);
      }
    });
    if (outcome instanceof AuthorizationError) throw outcome;
    return outcome;
  }

  return {
    async authorize(organizationId, connectorId) {
      const row = await activeRow(organizationId, connectorId);
      const { oauth2, client } = settingsOf(row);
      const authorizationUrl = new URL(oauth2.authorizationUrl);
      if (authorizationUrl.protocol !== 'https:' && !deps.allowPrivate) throw new AppError('CONNECTOR_UNAVAILABLE', `${connectorId}'s authorization URL must be https.`);
      const nonce = randomToken(24);
      const verifier = oauth2.pkce ? randomToken(48) : undefined;
      const expiresAt = new Date(Date.now() + STATE_TTL_MS);
      // A public URL may carry a path (a hub behind a proxy under /accounting): the callback goes under it.
      const redirectUri = new URL(deps.publicUrl().replace(/\/+$/, '') + CALLBACK_PATH).href;
      await knex('oauth_states').where('expires_at', '<', new Date(Date.now() - 3_600_000)).delete();
      await knex('oauth_states').insert({ nonce, organization_id: organizationId, connector_id: connectorId, connector_version: row.connectorVersion, redirect_uri: redirectUri, verifier_sealed: verifier ? secrets.seal(verifier) : null, expires_at: expiresAt });
      const state = signState(secrets, { organizationId, connectorId, version: row.connectorVersion, nonce, expiresAt: Math.floor(expiresAt.getTime() / 1000) });
      const params = authorizationUrl.searchParams;
      for (const [name, value] of Object.entries(oauth2.authorizationParams ?? {})) params.set(name, value);
      params.set('response_type', 'code');
      params.set('client_id', client.clientId);
      params.set('redirect_uri', redirectUri);
      if (oauth2.scopes.length > 0) params.set('scope', oauth2.scopes.join(oauth2.scopeSeparator ?? ' '));
      params.set('state', state);
      if (verifier) {
        params.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
        params.set('code_challenge_method', 'S256');
      }
      return { object: 'oauth_authorization', connectorId, authorizeUrl: authorizationUrl.href, redirectUri, expiresAt: expiresAt.toISOString() };
    },

    async callback(query) {
      const verified = verifyState(secrets, query.state);
      if ('problem' in verified) {
        throw verified.problem === 'expired' ? new AppError('OAUTH_STATE_EXPIRED', 'The authorization took too long; start it again.') : new AppError('OAUTH_STATE_INVALID', 'This state was not issued by this hub, or was altered.');
      }
      const { organizationId, connectorId, version, nonce } = verified.claims;
      // Deleting the row is what uses the state: a second callback with it finds nothing.
      const [pending] = await knex('oauth_states').where({ nonce, organization_id: organizationId, connector_id: connectorId }).delete().returning<Array<{ redirectUri: string; verifierSealed: string | null; expiresAt: Date }>>(['redirect_uri', 'verifier_sealed', 'expires_at']);
      if (!pending) throw new AppError('OAUTH_STATE_USED', 'This authorization was completed (or abandoned) already; start it again.');
      if (new Date(pending.expiresAt).getTime() <= Date.now()) throw new AppError('OAUTH_STATE_EXPIRED', 'The authorization took too long; start it again.');
      if (query.error !== undefined) throw providerProblem(`The provider did not grant access: ${query.error}${query.error_description ? ` (${query.error_description.slice(0, 500)})` : ''}`, { retryable: false });
      if (!query.code) throw new AppError('VALIDATION_FAILED', 'The provider sent neither a code nor an error.', { errors: [{ field: '/code', in: 'query', message: 'is required' }] });
      const row = await activeRow(organizationId, connectorId);
      if (row.connectorVersion !== version) throw new AppError('OAUTH_STATE_INVALID', 'The integration changed version during the authorization; start it again.');
      const { manifest, oauth2, client } = settingsOf(row);
      const grant: TokenGrant = { grant_type: 'authorization_code', code: query.code, redirect_uri: pending.redirectUri, code_verifier: pending.verifierSealed ? secrets.open(pending.verifierSealed) : undefined };
      const tokens = await requestTokens({ settings: oauth2, allowedHosts: manifest.allowedHosts ?? [], allowPrivate: deps.allowPrivate, client, grant }).catch((error: unknown) => {
        throw endpointProblem(error);
      });
      await locked(organizationId, connectorId, (db) => store(db, row, tokens, undefined, oauth2.scopes, extraParams(query)));
      const stored = (await rowOf(knex, organizationId, connectorId)) as Row;
      return { object: 'oauth_connection', organizationId, connectorId, authorization: authorizationOf(stored, manifest) as IntegrationAuthorization };
    },

    async accessToken(organizationId, connectorId, request) {
      const row = await rowOf(knex, organizationId, connectorId);
      const rejected = request?.rejected;
      if (fresh(row) && (rejected === undefined || tokenOf(row as Row).accessToken !== rejected)) return tokenOf(row as Row);
      if (!row?.oauthSealed) throw refusal('NOT_AUTHORIZED', connectorId);
      if (row.oauthStatus === 'REAUTHORIZATION_REQUIRED') throw refusal('REAUTHORIZATION_REQUIRED', connectorId);
      // Calls of this process that need the same refresh share it; other processes wait on the lock.
      const key = `${organizationId} ${connectorId}`;
      let running = refreshing.get(key);
      if (!running) {
        running = refresh(organizationId, connectorId, rejected).finally(() => refreshing.delete(key));
        refreshing.set(key, running);
      }
      return running;
    },
  };
}
