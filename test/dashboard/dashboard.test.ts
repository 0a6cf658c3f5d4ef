import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../hub/src/config.js';
import { startHub, type Hub } from '../../hub/src/hub.js';
import { ensureDashboardBuilt } from '../../scripts/build-dashboard.js';
import { startCrmEmulator, type CrmEmulator } from '../../connectors/sample/test/emulator.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { connectorFolder, testManifest, type ConnectorFolder } from '../connectors/fixtures.js';
import { startOAuthEmulator, type OAuthEmulator } from '../connectors/oauth-emulator.js';
import { testHubQueues } from '../hub-queues.js';
import { launch, screenshot, seriousViolations, type PageGlobals } from './browser.js';

/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against a hub on
 * PostgreSQL and RabbitMQ: each step is what a person does, and each page is checked with axe-core and
 * photographed into test-results/dashboard/.
 */
const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env['TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const ADMIN = 'dashboard-admin-token';
const CRM_KEY = 'sk_crm_0123456789';
const suffix = randomBytes(4).toString('hex');
const database = `uah_dashboard_${suffix}`;
const silent = pino({ level: 'silent' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read loosely here; the API's own tests check their shapes
type Body = Record<string, any>;

let hub: Hub;
let crm: CrmEmulator;
let receiver: Receiver;
let oauthProvider: OAuthEmulator;
let connectors: ConnectorFolder;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let org: { id: string; apiKey: string };
let dataDir: string;
const admin = new pg.Client({ connectionString: PG_URL });

async function api(method: string, path: string, token: string, body?: unknown): Promise<Body> {
  const res = await fetch(hub.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json()) as Body;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function expectAccessible(name: string): Promise<void> {
  await screenshot(page, name);
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

async function go(link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

beforeAll(async () => {
  // The hub serves dashboard/dist: build it first when it is missing or older than its sources.
  ensureDashboardBuilt();
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  dataDir = mkdtempSync(join(tmpdir(), 'uah-dashboard-'));
  crm = await startCrmEmulator(CRM_KEY);
  for (const name of ['Ada Ltd', 'Brook & Co', 'Cole plc']) crm.customers.push({ id: `crm_${name.slice(0, 3)}`, name, email: null, updated_at: '2026-01-01T00:00:00.000Z' });
  receiver = await startReceiver(() => ({ status: 204 }));
  // A connector that signs in with OAuth2, against a local authorization server that grants at once.
  oauthProvider = await startOAuthEmulator({ clientAuth: 'basic' });
  connectors = connectorFolder();
  connectors.add('oauth-books', {
    manifest: testManifest('oauth-books', {
      auth: { type: 'oauth2', oauth2: { authorizationUrl: `${oauthProvider.url}/authorize`, tokenUrl: `${oauthProvider.url}/token`, scopes: ['accounting'] } },
      credentialsSchema: { type: 'object', properties: { clientId: { type: 'string' }, clientSecret: { type: 'string' } }, required: ['clientId', 'clientSecret'] },
      configSchema: { type: 'object', properties: { baseUrl: { type: 'string' } }, required: ['baseUrl'] },
      allowedHosts: ['127.0.0.1'],
    }),
  });
  hub = await startHub(
    loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATABASE_URL: url.href, AMQP_URL, ...testHubQueues(), SYNC_TICK_SECONDS: '1',
      HUB_ADMIN_TOKEN: ADMIN, WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'silent', DATA_DIR: dataDir, CONNECTORS_PATH: connectors.root,
    }),
    silent,
  );
  const created = await api('POST', '/v1/organizations', ADMIN, { name: 'Dashboard Ltd', baseCurrency: 'USD' });
  org = { id: created['id'] as string, apiKey: created['apiKey'] as string };
  // The catalog loads its connectors in the background, one at a time, and the catalog route answers once they
  // are loaded: on a busy machine that takes longer than a page step may wait, so the browser starts after it.
  await api('GET', '/v1/connectors', org.apiKey);
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  // A step that cannot find what it waits for says which locator, well before the test's own timeout.
  page.setDefaultTimeout(12_000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  await crm?.close();
  await receiver?.close();
  await oauthProvider?.close();
  connectors?.remove();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('signs in with an API key into an HttpOnly, SameSite cookie, keeping the key nowhere in the browser', async () => {
    await page.goto(`${hub.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expectAccessible('01-sign-in');
    await page.getByLabel('API key').fill('uah_sk_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('The API key is not valid or has been revoked.').waitFor();
    await page.getByLabel('API key').fill(org.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Books at a glance' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/books');

    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'uah_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookies[0]?.value).not.toContain(org.apiKey);
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return JSON.stringify({ local: { ...g.localStorage }, session: { ...g.sessionStorage }, cookie: g.document.cookie });
    });
    expect(stored).not.toContain(org.apiKey);
    expect(stored).not.toContain('uah_session');
  });

  it('lists the catalog and enables the sample connector through its generated form, showing the API\'s error next to the field', async () => {
    await go('Marketplace', 'Marketplace');
    const card = page.getByRole('article', { name: 'Sample CRM' });
    await card.getByText('customers:write').waitFor();
    await card.getByText('api.sample-crm.test, 127.0.0.1').waitFor();
    await expectAccessible('02-marketplace');

    await card.getByRole('link', { name: 'Enable Sample CRM' }).click();
    await page.getByRole('heading', { level: 1, name: 'Enable Sample CRM' }).waitFor();
    const apiKey = page.locator('input[id$="apiKey"]');
    const baseUrl = page.locator('input[id$="baseUrl"]');
    expect(await apiKey.getAttribute('type')).toBe('password');
    expect(await baseUrl.inputValue()).toBe('https://api.sample-crm.test/v1');
    await apiKey.fill('too-short');
    await baseUrl.fill(crm.url);
    const refused = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/integrations/sample`));
    await page.getByRole('button', { name: 'Enable Sample CRM' }).click();
    const answer = await refused;
    expect(answer.status()).toBe(400);
    const apiError = ((await answer.json()) as Body)['errors'][0];
    expect(apiError).toMatchObject({ field: '/credentials/apiKey', message: 'must NOT have fewer than 12 characters' });
    // Next to its field: inside the field's own group, and the field is focused for a keyboard user.
    const group = page.locator('.rjsf-field-string', { has: apiKey });
    await group.getByText(apiError.message as string).waitFor();
    await expect.poll(() => apiKey.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await expectAccessible('03-enable-form-error');

    await apiKey.fill(CRM_KEY);
    await page.getByRole('button', { name: 'Enable Sample CRM' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sample CRM', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/integrations/sample');
    await page.getByRole('region', { name: 'Status', exact: true }).getByText('ENABLED').waitFor();
    // The connection check reached the CRM with the key entered.
    expect(crm.received).toContain('GET /v1/account');
  });

  it('syncs now and shows the job run to its end with its counts and log', async () => {
    await page.getByRole('heading', { name: 'Sync jobs' }).waitFor();
    // No sync yet, or one the schedule started as soon as the integration was enabled (listed in the table).
    await page.getByText('No sync has run yet.').or(page.getByRole('region', { name: 'Sync jobs table' })).waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('button', { name: 'Syncing…' }).waitFor();
    await page.getByText('Sync finished: customer success.').waitFor({ timeout: 20_000 });
    const table = page.getByRole('region', { name: 'Sync jobs table' });
    const manual = table.getByRole('row').filter({ hasText: 'manual' }).first();
    await manual.getByText('SUCCESS').waitFor();
    // The three CRM customers are in the books, whether this run or a scheduled one before it pulled them.
    const created = await table.locator('tbody tr').evaluateAll((rows) => rows.reduce((sum, row) => sum + Number(row.querySelectorAll('td')[3]?.textContent ?? 0), 0));
    expect(created).toBe(3);
    const customers = await api('GET', `/v1/organizations/${org.id}/customers?limit=100`, org.apiKey);
    expect(customers['data'].map((c: Body) => c['businessName']).sort()).toEqual(['Ada Ltd', 'Brook & Co', 'Cole plc']);
    await manual.getByText(/\d+ lines?/).click();
    await page.getByRole('region', { name: 'Status', exact: true }).getByText('SUCCESS').waitFor();
    await expectAccessible('04-integration');

    await go('Integrations', 'Integrations');
    await page.getByRole('link', { name: 'sample' }).waitFor();
    await expectAccessible('05-integrations');
  });

  it('creates a webhook endpoint, shows its secret once, and shows the delivery of an event', async () => {
    await go('Webhooks', 'Webhooks');
    await page.getByText('No endpoint yet.').waitFor();
    await page.getByLabel('URL').fill(`${receiver.url}/hooks`);
    await page.getByLabel(/^Events/).fill('customer.*, invoice.paid');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByTestId('webhook-secret');
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: 'Copy the signing secret' }).waitFor();
    await expectAccessible('06-webhooks');

    await page.getByRole('main').getByRole('list').getByRole('link', { name: `${receiver.url}/hooks` }).click();
    await page.getByText('Nothing delivered yet.').waitFor();
    await api('POST', `/v1/organizations/${org.id}/customers`, org.apiKey, { businessName: 'Webhook Watchers Ltd' });
    const delivered = page.locator('tr[data-event-type="customer.created"]').getByText('DELIVERED');
    for (let tries = 0; !(await delivered.isVisible()) && tries < 40; tries++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(250);
    }
    await delivered.waitFor();
    expect(receiver.received.some((r) => r.headers['x-webhook-event'] === 'customer.created')).toBe(true);
    await page.locator('tr[data-event-type="customer.created"]').getByText('1 attempt').click();
    await page.getByText('HTTP 204').first().waitFor();
    await expectAccessible('07-webhook-deliveries');
  });

  it('shows the books and an invoice.paid event arriving in the live feed', async () => {
    await go('Books', 'Books at a glance');
    await page.getByTestId('feed-state').getByText('live').waitFor();
    const customer = await api('POST', `/v1/organizations/${org.id}/customers`, org.apiKey, { businessName: 'Paying Customer Ltd' });
    const draft = await api('POST', `/v1/organizations/${org.id}/invoices`, org.apiKey, { customerId: customer['id'], lines: [{ description: 'Consulting', quantity: '3', unitPrice: 25000 }] });
    await api('POST', `/v1/organizations/${org.id}/invoices/${draft['id']}/issue`, org.apiKey, {});
    const other = await api('POST', `/v1/organizations/${org.id}/invoices`, org.apiKey, { customerId: customer['id'], lines: [{ description: 'Support', quantity: '1', unitPrice: 40000 }] });
    await api('POST', `/v1/organizations/${org.id}/invoices/${other['id']}/issue`, org.apiKey, {});
    await api('POST', `/v1/organizations/${org.id}/payments`, org.apiKey, { customerId: customer['id'], amount: 75000, method: 'BANK_TRANSFER', applications: [{ invoiceId: draft['id'], amount: 75000 }] });

    await page.locator('.feed li[data-event-type="invoice.paid"]').waitFor({ timeout: 15_000 });
    // The reports follow the events: the open invoice is in the aging chart, the paid one in the list.
    await page.getByRole('img', { name: /Receivables aging\. Not yet due: \$400\.00/ }).waitFor({ timeout: 15_000 });
    await page.getByRole('region', { name: 'Recent invoices table' }).getByText('PAID').waitFor();
    await page.getByRole('region', { name: 'Recent payments table' }).getByText('$750.00').waitFor();
    await expectAccessible('08-books');
  });

  it('enables an OAuth2 connector with the organization\'s OAuth client, sends the browser to the provider and back, and shows it authorized', async () => {
    await go('Marketplace', 'Marketplace');
    await page.getByRole('article', { name: 'Test oauth-books' }).getByRole('link', { name: 'Enable Test oauth-books' }).click();
    await page.getByRole('heading', { level: 1, name: 'Enable Test oauth-books' }).waitFor();
    const clientSecret = page.locator('input[id$="clientSecret"]');
    expect(await clientSecret.getAttribute('type')).toBe('password');
    await page.locator('input[id$="clientId"]').fill(oauthProvider.client.id);
    await clientSecret.fill(oauthProvider.client.secret);
    await page.locator('input[id$="baseUrl"]').fill(oauthProvider.url);
    await expectAccessible('12-enable-oauth');
    // Saved, then to the provider (which grants at once) and back to the hub's callback page.
    await page.getByRole('button', { name: 'Save and connect Test oauth-books' }).click();
    await page.getByRole('heading', { level: 1, name: 'oauth-books is connected' }).waitFor();
    expect(oauthProvider.tokenRequests.authorization_code).toBe(1);
    expect(oauthProvider.lastAuthorization?.get('client_id')).toBe(oauthProvider.client.id);
    await page.getByRole('link', { name: 'Back to the integration in the dashboard' }).click();
    await page.getByRole('heading', { level: 1, name: 'Test oauth-books', exact: true }).waitFor();
    const status = page.getByRole('region', { name: 'Status', exact: true });
    await status.getByText('AUTHORIZED', { exact: true }).waitFor();
    await status.getByRole('link', { name: 'Reconnect Test oauth-books' }).waitFor();
    await expectAccessible('13-oauth-integration');
  });

  it('reads on a phone-sized screen and works by keyboard', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [link, heading, name] of [['Books', 'Books at a glance', '09-phone-books'], ['Marketplace', 'Marketplace', '10-phone-marketplace']] as const) {
      await go(link, heading);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      // Nothing runs off the side once the page has settled: wide tables scroll inside their own region. What
      // sticks out is named, to say why.
      const outside = () => page.evaluate(() => {
        const { document } = globalThis as unknown as PageGlobals;
        return [...document.querySelectorAll('body *')].flatMap((el) => {
          const right = el.getBoundingClientRect().right;
          return right > 390.5 && !el.closest('.table-scroll') ? [`${el.tagName}.${el.className}: ${(el.textContent ?? '').slice(0, 40)} (${Math.round(right)})`] : [];
        });
      });
      await expect.poll(outside, { message: name, timeout: 5000 }).toEqual([]);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth), name).toBeLessThanOrEqual(390);
      await expectAccessible(name);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${hub.url}/integrations`);
    await page.getByRole('heading', { level: 1, name: 'Integrations' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => ((globalThis as unknown as PageGlobals).document.activeElement as { textContent: string | null } | null)?.textContent)).toBe('Skip to content');
    // Through the navigation to the integration, then sync from the keyboard alone.
    await page.getByRole('link', { name: 'sample' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Sample CRM', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Sync now' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Sync finished: customer success.').waitFor({ timeout: 20_000 });
  });

  it('signs out, which ends the session on the hub', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/v1/sessions/current')).status);
    expect(status).toBe(401);
  });

  it('gives a read-only key no write controls', async () => {
    const readOnly = await api('POST', `/v1/organizations/${org.id}/api-keys`, org.apiKey, { name: 'viewer', scopes: ['read'] });
    await page.getByLabel('API key').fill(readOnly['secret'] as string);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Books at a glance' }).waitFor();
    await page.getByText('read only').waitFor();

    await go('Marketplace', 'Marketplace');
    await page.getByRole('article', { name: 'Sample CRM' }).waitFor();
    expect(await page.getByRole('link', { name: /^Enable / }).count()).toBe(0);
    await go('Integrations', 'Integrations');
    await page.getByRole('link', { name: 'sample' }).click();
    await page.getByRole('region', { name: 'Sync jobs table' }).waitFor();
    for (const name of ['Sync now', /^Disable/, 'Save sync settings']) expect(await page.getByRole('button', { name }).count()).toBe(0);
    await go('Webhooks', 'Webhooks');
    await page.getByRole('main').getByRole('list').getByRole('link').first().waitFor();
    expect(await page.getByRole('button', { name: 'Add endpoint' }).count()).toBe(0);
    await page.getByRole('main').getByRole('list').getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    for (const name of ['Send a test ping', 'Rotate the secret', /^Redeliver/]) expect(await page.getByRole('button', { name }).count()).toBe(0);
    await expectAccessible('11-read-only-webhook');
  });
});
