/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Path=/ (the dashboard and the API share the origin), Secure when the page is served over https.
 */
export const SESSION_COOKIE = 'uah_session';
/** The header that carries the session's CSRF token on every request other than GET. */
export const CSRF_HEADER = 'x-csrf-token';

/** The session secret in a `Cookie` header, if any. */
export function sessionSecretOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function sessionCookie(secret: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  return `${SESSION_COOKIE}=${secret}; Path=/; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=Strict${options.secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Whether an `Origin` header names the host the request was sent to (the dashboard's own origin). A
 * WebSocket cannot carry the CSRF header, so a cookie-authenticated upgrade must come from our origin.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host || !URL.canParse(origin)) return false;
  return new URL(origin).host === host.toLowerCase();
}
