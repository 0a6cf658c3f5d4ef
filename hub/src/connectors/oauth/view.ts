import type { ConnectorManifest } from '@uah/connector-sdk';
import type { IntegrationAuthorization } from '@uah/schemas';

/** The integration's OAuth columns, as rows come back (camelCased). */
export interface OAuthColumns {
  oauthStatus: 'AUTHORIZED' | 'REAUTHORIZATION_REQUIRED' | null;
  oauthSealed: string | null;
  oauthHint: string | null;
  oauthExpiresAt: Date | null;
  oauthScopes: string[] | string | null;
  oauthAuthorizedAt: Date | null;
  oauthRefreshedAt: Date | null;
}

/** What may be shown of the tokens: the access token's last characters, and whether a refresh token exists. */
export interface TokenHint {
  accessToken: string;
  hasRefreshToken: boolean;
}

export function hintOf(accessToken: string, hasRefreshToken: boolean): string {
  const hint: TokenHint = { accessToken: accessToken.length >= 16 ? `••••${accessToken.slice(-4)}` : '••••', hasRefreshToken };
  return JSON.stringify(hint);
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);
const parsed = <T>(value: T | string | null): T | null => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** The scopes the provider granted, as stored. */
export const scopesOf = (row: Pick<OAuthColumns, 'oauthScopes'>): string[] => parsed<string[]>(row.oauthScopes) ?? [];

/** An oauth2 integration's authorization as the API shows it (never a token); nothing for other auth types. */
export function authorizationOf(row: OAuthColumns, manifest: ConnectorManifest | undefined): IntegrationAuthorization | undefined {
  if (manifest?.auth.type !== 'oauth2') return undefined;
  const hint = parsed<TokenHint>(row.oauthHint);
  return {
    type: 'oauth2',
    status: row.oauthStatus ?? 'NOT_AUTHORIZED',
    accessTokenHint: hint?.accessToken ?? null,
    expiresAt: iso(row.oauthExpiresAt),
    scopes: scopesOf(row),
    hasRefreshToken: hint?.hasRefreshToken ?? false,
    authorizedAt: iso(row.oauthAuthorizedAt),
    refreshedAt: iso(row.oauthRefreshedAt),
  };
}
