import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { createEventStreamAccess } from '../events/stream-access.js';
import { sha256 } from './secrets.js';

let hub: TestHub;
let org: { id: string; apiKey: string };

/** Signs in with a key; returns the cookie pair to send back and the session body. */
async function signIn(apiKey: string, headers: Record<string, string> = {}) {
  const res = await hub.request('POST', '/v1/sessions', { token: apiKey, headers });
  expect(res.status).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return { res, setCookie, cookie, csrf: res.body.csrfToken as string, secret: cookie.slice(cookie.indexOf('=') + 1) };
}

function withCookie(cookie: string, csrf?: string): { token: null; headers: Record<string, string> } {
  return { token: null, headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) } };
}

beforeAll(async () => {
  hub = await createTestHub();
  org = await hub.createOrganization('Session Ltd');
});
afterAll(() => hub.close());

describe('dashboard sessions', () => {
  it('exchange an API key for an HttpOnly, SameSite=Strict cookie that is stored hashed and never in the body', async () => {
    const { res, setCookie, secret } = await signIn(org.apiKey);
    expect(setCookie).toMatch(/^uah_session=uah_ses_[0-9A-Za-z]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ object: 'session', organizationId: org.id, scopes: ['read', 'write', 'admin'] });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const rows = await hub.db.knex('sessions').where({ organization_id: org.id });
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.map((r: { secretHash: string }) => r.secretHash)).toContain(sha256(secret));
  });

  it('mark the cookie Secure when the page was served over https', async () => {
    const { setCookie } = await signIn(org.apiKey, { origin: 'https://books.example.com' });
    expect(setCookie).toContain('; Secure');
  });

  it('authenticate reads with the cookie alone, and writes only with the CSRF token', async () => {
    const { cookie, csrf } = await signIn(org.apiKey);
    expect((await hub.request('GET', `/v1/organizations/${org.id}/customers`, withCookie(cookie))).status).toBe(200);
    const current = await hub.request('GET', '/v1/sessions/current', withCookie(cookie));
    expect(current.body).toMatchObject({ organizationId: org.id, csrfToken: csrf });

    const body = { firstName: 'Cookie' };
    const missing = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { ...withCookie(cookie), body });
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe('CSRF_TOKEN_INVALID');
    const wrong = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { ...withCookie(cookie, `${csrf.slice(0, -1)}x`), body });
    expect(wrong.body.code).toBe('CSRF_TOKEN_INVALID');
    const created = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { ...withCookie(cookie, csrf), body });
    expect(created.status).toBe(201);
    // The event names the key the session acts as.
    const events = await hub.request('GET', `/v1/organizations/${org.id}/events?aggregateId=${created.body.id}`);
    expect(events.body.data[0].metadata.userId).toMatch(/^key_/);
  });

  it('keep tenants apart and give a read-only key a read-only session', async () => {
    const other = await hub.createOrganization('Other Ltd');
    const { cookie } = await signIn(org.apiKey);
    expect((await hub.request('GET', `/v1/organizations/${other.id}/customers`, withCookie(cookie))).status).toBe(404);

    const readOnly = await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { name: 'viewer', scopes: ['read'] } });
    const viewer = await signIn(readOnly.body.secret);
    expect(viewer.res.body.scopes).toEqual(['read']);
    const refused = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { ...withCookie(viewer.cookie, viewer.csrf), body: { firstName: 'No' } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    // A bearer token wins over a cookie: an API client is never turned into a session by accident.
    const both = await hub.request('POST', `/v1/organizations/${org.id}/customers`, { token: org.apiKey, headers: { cookie: viewer.cookie }, body: { firstName: 'Bearer' } });
    expect(both.status).toBe(201);
    // The admin token routes take no session.
    expect((await hub.request('POST', '/v1/organizations', { ...withCookie(viewer.cookie, viewer.csrf), body: { name: 'X' } })).status).toBe(401);
  });

  it('end at sign-out, at expiry, and when their key is revoked', async () => {
    const session = await signIn(org.apiKey);
    expect((await hub.request('DELETE', '/v1/sessions/current', withCookie(session.cookie))).body.code).toBe('CSRF_TOKEN_INVALID');
    const out = await hub.request('DELETE', '/v1/sessions/current', withCookie(session.cookie, session.csrf));
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^uah_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    const after = await hub.request('GET', '/v1/sessions/current', withCookie(session.cookie));
    expect(after.status).toBe(401);

    const expiring = await signIn(org.apiKey);
    await hub.db.knex('sessions').where({ secret_hash: sha256(expiring.secret) }).update({ expires_at: new Date(Date.now() - 1000) });
    expect((await hub.request('GET', '/v1/sessions/current', withCookie(expiring.cookie))).status).toBe(401);

    const key = await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { name: 'short-lived', scopes: ['read'] } });
    const revoking = await signIn(key.body.secret);
    await hub.request('POST', `/v1/organizations/${org.id}/api-keys/${key.body.id}/revoke`, { token: org.apiKey });
    expect((await hub.request('GET', '/v1/sessions/current', withCookie(revoking.cookie))).status).toBe(401);
  });

  it('answer 401 for a forged cookie and 404 for the current session asked with a bearer key', async () => {
    expect((await hub.request('GET', `/v1/organizations/${org.id}/customers`, withCookie('uah_session=uah_ses_forged'))).status).toBe(401);
    expect((await hub.request('GET', '/v1/sessions/current', { token: org.apiKey })).status).toBe(404);
  });

  it('open the event stream only from a page of the hub itself, and end it when signed out', async () => {
    const access = createEventStreamAccess({ apiKeys: hub.core.services.apiKeys, sessions: hub.core.services.sessions });
    const session = await signIn(org.apiKey);
    const url = `/v1/organizations/${org.id}/events`;
    const headers = (origin?: string) => ({ host: 'hub.example.com:3000', cookie: `theme=dark; ${session.cookie}`, ...(origin ? { origin } : {}) });
    const grant = await access.authorize({ url, headers: headers('http://hub.example.com:3000') });
    expect(grant.key).toMatchObject({ organizationId: org.id, scopes: ['read', 'write', 'admin'] });
    expect(grant.session).toBe(session.secret);
    for (const origin of ['https://evil.example.com', 'http://hub.example.com:3001', undefined]) {
      await expect(access.authorize({ url, headers: headers(origin) }), String(origin)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(access.authorize({ url: `/v1/organizations/org_other/events`, headers: headers('http://hub.example.com:3000') })).rejects.toMatchObject({ status: 404 });
    expect(await access.stillValid(grant)).toBe(true);
    await hub.request('DELETE', '/v1/sessions/current', withCookie(session.cookie, session.csrf));
    expect(await access.stillValid(grant)).toBe(false);
  });

  it('are documented: the routes and the cookie scheme are in the OpenAPI document', () => {
    const doc = hub.core.openapi() as { paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/sessions', '/v1/sessions/current']));
    expect(doc.components.securitySchemes['sessionCookie']).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'uah_session' });
  });
});
