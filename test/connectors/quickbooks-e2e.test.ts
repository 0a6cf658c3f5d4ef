import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../core/src/events/testing.js';
import { startQboEmulator, type QboEmulator } from '../../connectors/quickbooks/test/emulator.js';
import { testManifest } from '../../connectors/quickbooks/test/test-connector.js';
import { loadXsd } from '../../connectors/quickbooks/test/xsd.js';
import { startProviderHub, type ProviderHub } from './provider-e2e.js';

let qbo: QboEmulator;
let env: ProviderHub;
const ids: { customer?: string; invoice?: string; payment?: string; second?: string } = {};

const remote = (entity: string, id: string | undefined): Record<string, unknown> | undefined => qbo.all(entity).find((r) => r['Id'] === id);
const linkOf = async (entityType: string, internalId: string): Promise<string | undefined> =>
  (await env.hub.db.knex('connector_mappings').where({ organization_id: env.org.id, connector_id: 'quickbooks', entity_type: entityType, internal_id: internalId }).first<{ externalId: string } | undefined>())?.externalId;
const setRule = async (conflictResolution: string): Promise<void> => {
  expect((await env.call('PUT', env.integration('/sync-config'), { body: { direction: 'bidirectional', conflictResolution } })).status).toBe(200);
};
const counts = async (): Promise<Record<string, number>> => {
  const count = async (table: string): Promise<number> => Number((await env.hub.db.knex(table).where({ organization_id: env.org.id }).count<Array<{ count: string }>>({ count: '*' }).first())?.count);
  return { customers: await count('customers'), invoices: await count('invoices'), payments: await count('payments'), qboCustomers: qbo.all('Customer').length, qboInvoices: qbo.all('Invoice').length, qboPayments: qbo.all('Payment').length };
};

beforeAll(async () => {
  qbo = await startQboEmulator();
  env = await startProviderHub({ connectorId: 'quickbooks', manifest: testManifest(qbo.url), handlersModule: '@uah/connector-quickbooks/handlers' });
}, 90_000);
afterAll(async () => {
  await env?.close();
  await qbo?.close();
});

describe('QuickBooks Online end to end', () => {
  it('is enabled through the marketplace API and authorized with OAuth2; the realm comes from the callback', async () => {
    const put = await env.call('PUT', env.integration(), { body: { credentials: { clientId: qbo.client.id, clientSecret: qbo.client.secret }, config: { baseUrl: qbo.url, items: {} } } });
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain(qbo.client.secret);
    await setRule('REMOTE_WINS');
    const done = await env.authorize();
    expect(done.status).toBe(200);
    expect(done.body.authorization).toMatchObject({ status: 'AUTHORIZED', scopes: ['com.intuit.quickbooks.accounting'], hasRefreshToken: true });
    expect(qbo.tokenRequests.authorization_code).toBe(1);
  }, 30_000);

  it('sends a customer, an invoice and its payment made in the hub to QuickBooks, linked to each other', async () => {
    const customer = await env.call('POST', `/v1/organizations/${env.org.id}/customers`, { body: { businessName: 'Lakeside Bakery', email: 'ap@lakeside.test' } });
    expect(customer.status).toBe(201);
    ids.customer = customer.body.id;
    const draft = await env.call('POST', `/v1/organizations/${env.org.id}/invoices`, { body: { customerId: ids.customer, dueDate: '2027-01-31', lines: [{ description: 'Bread subscription', quantity: '2', unitPrice: 4500 }] } });
    expect(draft.status).toBe(201);
    ids.invoice = draft.body.id;
    const issued = await env.call('POST', `/v1/organizations/${env.org.id}/invoices/${ids.invoice}/issue`, { body: {} });
    expect(issued.status).toBe(200);
    const payment = await env.call('POST', `/v1/organizations/${env.org.id}/payments`, { body: { customerId: ids.customer, amount: 9000, method: 'BANK_TRANSFER', reference: 'TRF-1001', applications: [{ invoiceId: ids.invoice, amount: 9000 }] } });
    expect(payment.status).toBe(201);
    ids.payment = payment.body.id;

    await waitFor(async () => Boolean(await linkOf('payment', ids.payment!)), 30_000);
    const qCustomer = remote('Customer', await linkOf('customer', ids.customer!));
    const qInvoice = remote('Invoice', await linkOf('invoice', ids.invoice!));
    const qPayment = remote('Payment', await linkOf('payment', ids.payment!));
    expect(qCustomer).toMatchObject({ DisplayName: 'Lakeside Bakery', CompanyName: 'Lakeside Bakery', PrimaryEmailAddr: { Address: 'ap@lakeside.test' } });
    await waitFor(() => remote('Invoice', qInvoice?.['Id'] as string)?.['DocNumber'] === issued.body.number, 20_000);
    expect(remote('Invoice', qInvoice?.['Id'] as string)).toMatchObject({
      CustomerRef: { value: qCustomer?.['Id'] }, DocNumber: issued.body.number, TxnDate: issued.body.issueDate, DueDate: '2027-01-31', TotalAmt: 90, Balance: 0,
      Line: [{ Amount: 90, Description: 'Bread subscription', DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { Qty: 2, UnitPrice: 45, ItemRef: { value: expect.any(String) } } }],
    });
    // The item named by the config's default was created once in QuickBooks.
    expect(qbo.all('Item').map((i) => i['Name'])).toEqual(['Services']);
    expect(qPayment).toMatchObject({ CustomerRef: { value: qCustomer?.['Id'] }, TotalAmt: 90, PaymentRefNum: 'TRF-1001', Line: [{ Amount: 90, LinkedTxn: [{ TxnId: qInvoice?.['Id'], TxnType: 'Invoice' }] }] });
    expect(qbo.all('Customer')).toHaveLength(1);
    expect(qbo.all('Invoice')).toHaveLength(1);
  }, 60_000);

  it("takes QuickBooks' edit of an invoice on the next sync under REMOTE_WINS, without echoing it back", async () => {
    const draft = await env.call('POST', `/v1/organizations/${env.org.id}/invoices`, { body: { customerId: ids.customer, dueDate: '2027-02-28', lines: [{ description: 'Catering', quantity: '1', unitPrice: 20000 }] } });
    ids.second = draft.body.id;
    const issued = await env.call('POST', `/v1/organizations/${env.org.id}/invoices/${ids.second}/issue`, { body: {} });
    // Created from the invoice.created event, then updated (numbered) from invoice.issued: both done before the edit.
    await waitFor(async () => remote('Invoice', await linkOf('invoice', ids.second!))?.['SyncToken'] === '1', 30_000);
    expect(remote('Invoice', await linkOf('invoice', ids.second!))?.['DocNumber']).toBe(issued.body.number);
    const qId = (await linkOf('invoice', ids.second!))!;
    const line = (remote('Invoice', qId)?.['Line'] as Array<Record<string, unknown>>)[0]!;
    await new Promise((r) => setTimeout(r, 20));
    qbo.edit('Invoice', qId, { DueDate: '2027-03-15', Line: [{ ...line, Amount: 250, SalesItemLineDetail: { ...(line['SalesItemLineDetail'] as object), UnitPrice: 250 } }] });
    const before = qbo.requests.length;

    const [job] = await env.sync(['invoice']);
    expect(job).toMatchObject({ status: 'SUCCESS', direction: 'pull', counts: { updated: 1, failed: 0 } });
    expect(JSON.stringify(job?.['log'])).toContain('REMOTE_WINS kept');
    const old = (await env.call('GET', `/v1/organizations/${env.org.id}/invoices/${ids.second}`)).body;
    expect(old.status).toBe('CANCELLED');
    const replacementId = (await env.hub.db.knex('connector_mappings').where({ organization_id: env.org.id, connector_id: 'quickbooks', entity_type: 'invoice', external_id: qId }).first<{ internalId: string }>())?.internalId;
    expect(replacementId).not.toBe(ids.second);
    const replacement = (await env.call('GET', `/v1/organizations/${env.org.id}/invoices/${replacementId}`)).body;
    expect(replacement).toMatchObject({ status: 'SENT', customerId: ids.customer, dueDate: '2027-03-15', total: 25000, metadata: { quickbooksId: qId, replaces: ids.second } });
    // The hub's void and new invoice are the connector's own changes: nothing goes back to QuickBooks.
    await new Promise((r) => setTimeout(r, 1500));
    expect(qbo.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
    expect(remote('Invoice', qId)).toMatchObject({ TotalAmt: 250, DueDate: '2027-03-15' });
  }, 60_000);

  it("keeps the hub's version under MASTER_WINS and writes it back to QuickBooks with the current SyncToken", async () => {
    await setRule('MASTER_WINS');
    const qId = (await linkOf('invoice', ids.invoice!))!;
    const edited = qbo.edit('Invoice', qId, { DueDate: '2027-06-30' });
    const [job] = await env.sync(['invoice']);
    expect(job).toMatchObject({ status: 'SUCCESS', counts: { failed: 0 } });
    expect(JSON.stringify(job?.['log'])).toContain("MASTER_WINS kept the hub's version");
    expect((await env.call('GET', `/v1/organizations/${env.org.id}/invoices/${ids.invoice}`)).body.dueDate).toBe('2027-01-31');
    expect(remote('Invoice', qId)).toMatchObject({ DueDate: '2027-01-31', SyncToken: String(Number(edited['SyncToken']) + 1) });
  }, 60_000);

  it('brings a customer, an invoice and a payment made in QuickBooks into the books', async () => {
    await setRule('NEWEST_WINS');
    const customer = qbo.add('Customer', { DisplayName: 'Hilltop Farm', CompanyName: 'Hilltop Farm', PrimaryEmailAddr: { Address: 'farm@hilltop.test' } });
    const item = qbo.all('Item')[0]!;
    const invoice = qbo.add('Invoice', { CustomerRef: { value: customer['Id'] }, TxnDate: '2026-12-01', DueDate: '2026-12-31', DocNumber: 'Q-77', Line: [{ Amount: 30, Description: 'Eggs', DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: item['Id'] }, Qty: 3, UnitPrice: 10 } }] });
    const payment = qbo.add('Payment', { CustomerRef: { value: customer['Id'] }, TotalAmt: 30, TxnDate: '2026-12-05', Line: [{ Amount: 30, LinkedTxn: [{ TxnId: invoice['Id'], TxnType: 'Invoice' }] }] });
    const jobs = await env.sync(['customer', 'invoice', 'payment']);
    expect(jobs.every((j) => j['status'] === 'SUCCESS')).toBe(true);
    const ours = async (type: string, id: unknown): Promise<string | undefined> => (await env.hub.db.knex('connector_mappings').where({ organization_id: env.org.id, connector_id: 'quickbooks', entity_type: type, external_id: String(id) }).first<{ internalId: string } | undefined>())?.internalId;
    const hubInvoice = (await env.call('GET', `/v1/organizations/${env.org.id}/invoices/${await ours('invoice', invoice['Id'])}`)).body;
    expect(hubInvoice).toMatchObject({ status: 'PAID', total: 3000, dueDate: '2026-12-31', metadata: { quickbooksDocNumber: 'Q-77' } });
    const hubPayment = (await env.call('GET', `/v1/organizations/${env.org.id}/payments/${await ours('payment', payment['Id'])}`)).body;
    expect(hubPayment).toMatchObject({ amount: 3000, status: 'COMPLETED', applications: [{ invoiceId: hubInvoice.id, amount: 3000 }] });
    expect((await env.call('GET', `/v1/organizations/${env.org.id}/customers/${hubInvoice.customerId}`)).body).toMatchObject({ businessName: 'Hilltop Farm', email: 'farm@hilltop.test' });
  }, 90_000);

  it('duplicates nothing when the same sync runs twice, incremental or full', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const before = await counts();
    for (const full of [false, false, true, true]) {
      const jobs = await env.sync(['customer', 'invoice', 'payment'], full);
      expect(jobs.map((j) => j['status'])).toEqual(jobs.map(() => 'SUCCESS'));
      expect(jobs.reduce((n, j) => n + (j['counts'] as { created: number }).created, 0)).toBe(0);
    }
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('goes on when the access token expires mid-sync (one refresh through the hub) and when QuickBooks throttles', async () => {
    const refreshes = qbo.tokenRequests.refresh_token;
    qbo.expireAccessTokens();
    qbo.throttleNext(1);
    const jobs = await env.sync(['customer'], true);
    expect(jobs.map((j) => j['status'])).toEqual(['SUCCESS', 'SUCCESS']);
    expect(qbo.tokenRequests.refresh_token).toBe(refreshes + 1);
    expect(qbo.requests.filter((r) => r.status === 401)).not.toHaveLength(0);
    expect(qbo.requests.filter((r) => r.status === 429)).not.toHaveLength(0);
    const status = (await env.call('GET', env.integration('/status'))).body;
    expect(status.authorization).toMatchObject({ status: 'AUTHORIZED', refreshedAt: expect.any(String) });
  }, 60_000);

  it("runs only the pull of a bidirectional data type when the sync config's direction says pull", async () => {
    expect((await env.call('PUT', env.integration('/sync-config'), { body: { direction: 'pull', conflictResolution: 'NEWEST_WINS' } })).status).toBe(200);
    const jobs = await env.sync(['customer', 'invoice']);
    expect(jobs.map((j) => [j['dataType'], j['direction'], j['status']])).toEqual([['customer', 'pull', 'SUCCESS'], ['invoice', 'pull', 'SUCCESS']]);
  }, 60_000);

  it("sent only fields of Intuit's XSD types, and QuickBooks answered only with them", () => {
    const xsd = loadXsd();
    const problems = qbo.requests.flatMap((r) => {
      const entity = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment', item: 'Item' }[r.path.split('/')[1] ?? ''];
      return [...(entity && r.body ? xsd.problems(entity, r.body) : []), ...xsd.problems('IntuitResponse', r.answer)];
    });
    expect(qbo.requests.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
