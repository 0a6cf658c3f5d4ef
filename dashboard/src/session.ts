import { createClient, UahApiError, type UahClient, type WebSocketConstructor } from '@uah/client/portable';
import type { Problem, Session } from '@uah/schemas';

/**
 * The dashboard talks to the hub of its own origin with the session cookie, never with an API key: the
 * key is sent once, to `POST /v1/sessions`, and forgotten. The typed client is given a fetch that drops
 * its `Authorization` header (it has no key to send) and adds the session's CSRF token to every request
 * that is not a GET; its event stream is given a WebSocket that offers no key, so the browser's cookie
 * authenticates it.
 */
export interface SignedIn {
  session: Session;
  client: UahClient;
  /** The organization's paths: `/v1/organizations/{id}`. */
  org: string;
  can(scope: 'write' | 'admin'): boolean;
  /** For the routes the typed client does not cover (catalog, integrations, webhooks). */
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

const CSRF_HEADER = 'X-CSRF-Token';
/** Stands in for the key the client insists on; the fetch below never sends it. */
const NO_KEY = 'session-cookie';

async function problemOf(response: Response): Promise<UahApiError> {
  let problem: Partial<Problem>;
  try {
    problem = (await response.json()) as Partial<Problem>;
  } catch {
    problem = { detail: `The hub answered ${response.status}.` };
  }
  return new UahApiError(response.status, problem, response.headers);
}

function sessionFetch(csrfToken: string, onSignedOut: () => void): typeof fetch {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.delete('authorization');
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') headers.set(CSRF_HEADER, csrfToken);
    const response = await fetch(input, { ...init, headers, credentials: 'same-origin' });
    if (response.status === 401) onSignedOut();
    return response;
  };
}

/** The browser's WebSocket, minus the `uah.bearer.<key>` subprotocol: the cookie goes with the upgrade. */
function cookieWebSocket(): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, (Array.isArray(protocols) ? protocols : protocols ? [protocols] : []).filter((p) => !p.startsWith('uah.bearer.')));
    }
  };
}

export function signedIn(session: Session, onSignedOut: () => void): SignedIn {
  const fetchWithSession = sessionFetch(session.csrfToken, onSignedOut);
  const client = createClient({ baseUrl: location.origin, apiKey: NO_KEY, organizationId: session.organizationId, fetch: fetchWithSession, WebSocket: cookieWebSocket(), maxRetries: 1 });
  return {
    session,
    client,
    org: `/v1/organizations/${session.organizationId}`,
    can: (scope) => session.scopes.includes(scope),
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetchWithSession(path, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw await problemOf(response);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
  };
}

/** The session of the cookie, if it is still valid. */
export async function currentSession(): Promise<Session | undefined> {
  const response = await fetch('/v1/sessions/current', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401 || response.status === 404) return undefined;
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as Session;
}

/** Exchanges the key for the cookie; the key is not kept anywhere. */
export async function signIn(apiKey: string): Promise<Session> {
  const response = await fetch('/v1/sessions', { method: 'POST', headers: { authorization: `Bearer ${apiKey.trim()}`, accept: 'application/json' }, credentials: 'same-origin' });
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as Session;
}

export async function signOut(session: Session): Promise<void> {
  await fetch('/v1/sessions/current', { method: 'DELETE', headers: { [CSRF_HEADER]: session.csrfToken }, credentials: 'same-origin' });
}
