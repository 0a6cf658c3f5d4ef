import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearOfRateWindowEdge, createTestHub, TEST_ADMIN_TOKEN, type TestHub } from '../testing/harness.js';

describe('organization tiers and rate limits', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub({ rateLimit: { limit: 100, windowSeconds: 60, tiers: { FREE: 3 } } });
  });
  afterAll(() => hub.close());

  const list = (orgId: string, token: string) => hub.request('GET', `/v1/organizations/${orgId}/customers?limit=1`, { token });

  it('an admin sets the tier and the own limit; an API key cannot, and bad values are 400 problem+json', async () => {
    const org = await hub.createOrganization('Tiered');
    const read = await hub.request('GET', `/v1/organizations/${org.id}`, { token: org.apiKey });
    expect(read.body).toMatchObject({ tier: 'STANDARD', rateLimit: { limit: 1000, windowSeconds: 60, source: 'TIER' } });
    const patched = await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body: { tier: 'ENTERPRISE' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ tier: 'ENTERPRISE', rateLimit: { limit: 10000, source: 'TIER' } });
    const own = await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body: { rateLimit: 250 } });
    expect(own.body).toMatchObject({ tier: 'ENTERPRISE', rateLimit: { limit: 250, source: 'ORGANIZATION' } });
    const back = await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body: { rateLimit: null } });
    expect(back.body).toMatchObject({ rateLimit: { limit: 10000, source: 'TIER' } });

    expect((await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: org.apiKey, body: { tier: 'ENTERPRISE' } })).status).toBe(401);
    for (const body of [{ tier: 'GOLD' }, {}, { rateLimit: 0 }, { rateLimit: 1.5 }]) {
      const refused = await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    }
    expect((await hub.request('PATCH', '/v1/organizations/org_missing', { token: TEST_ADMIN_TOKEN, body: { tier: 'FREE' } })).status).toBe(404);
  });

  it("a FREE organization's keys share its tier's limit, with the RateLimit headers", async () => {
    const org = await hub.createOrganization('Free plan');
    await hub.request('PATCH', `/v1/organizations/${org.id}`, { token: TEST_ADMIN_TOKEN, body: { tier: 'FREE' } });
    const second = (await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: TEST_ADMIN_TOKEN, body: { name: 'second' } })).body.apiKey as string;
    await new Promise((resolve) => setTimeout(resolve, 2100)); // keys are cached for 2 s with their organization's tier
    await clearOfRateWindowEdge(60);
    const first = await list(org.id, org.apiKey);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3');
    expect(first.headers.get('ratelimit-remaining')).toBe('2');
    expect((await list(org.id, second)).status).toBe(200);
    expect((await list(org.id, org.apiKey)).status).toBe(200);
    const limited = await list(org.id, second);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.body.detail).toMatch(/organization's API keys together made more than 3/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it("a key's own limit is applied to it alone and never raises its organization's", async () => {
    const org = await hub.createOrganization('Key limits');
    const created = await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { name: 'throttled', rateLimit: 2 } });
    expect(created.status).toBe(201);
    expect(created.body.rateLimit).toBe(2);
    const throttled = created.body.apiKey as string;
    await clearOfRateWindowEdge(60);
    expect((await list(org.id, throttled)).headers.get('ratelimit-limit')).toBe('2');
    expect((await list(org.id, throttled)).status).toBe(200);
    const refused = await list(org.id, throttled);
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatch(/This API key made more than 2/);
    // The organization (STANDARD: 1000) still has room for its other keys.
    expect((await list(org.id, org.apiKey)).status).toBe(200);
    const generous = await hub.request('POST', `/v1/organizations/${org.id}/api-keys`, { token: org.apiKey, body: { name: 'generous', rateLimit: 5000 } });
    expect(generous.status).toBe(201);
    expect((await list(org.id, generous.body.apiKey as string)).headers.get('ratelimit-limit')).toBe('1000');
  });
});
