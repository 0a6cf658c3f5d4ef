import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../core/src/events/testing.js';
import { startXeroEmulator, type XeroEmulator } from '../../connectors/xero/test/emulator.js';
import { testManifest } from '../../connectors/xero/test/test-connector.js';
import { loadXeroSchemas, schemaProblems } from '../../connectors/xero/test/openapi.js';
import { startProviderHub, type ProviderHub } from './provider-e2e.js';

let emu: XeroEmulator;
let env: ProviderHub;
const ids: { customer?: string; invoice?: string; payment?: string; credited?: string; second?: string } = {};

const remote = (collection: string, idField: string, id: string | undefined): Record<string, unknown> | undefined => emu.all(collection).find((r) => r[idField] === id);
const linkOf = async (entityType: string, internalId: string): Promise<string | undefined> =>
  (await env.hub.db.knex('connector_mappings').where({ organization_id: env.org.id, connector_id: 'xero', entity_type: entityType, internal_id: internalId }).first<{ externalId: string } | undefined>())?.externalId;
const ours = async (entityType: string, externalId: unknown): Promise<string | undefined> =>
  (await env.hub.db.knex('connector_mappings').where({ organization_id: env.org.id, connector_id: 'xero', entity_type: entityType, external_id: String(externalId) }).first<{ internalId: string } | undefined>())?.internalId;
const setRule = async (conflictResolution: string): Promise<void> => {
  expect((await env.call('PUT', env.integration('/sync-config'), { body: { direction: 'bidirectional', conflictResolution } })).status).toBe(200);
};
const org = (tail: string): string => `/v1/organizations/${env.org.id}${tail}`;
const issue = async (customerId: string, dueDate: string, lines: unknown[]): Promise<{ id: string; number: string }> => {
  const draft = await env.call('POST', org('/invoices'), { body: { customerId, dueDate, lines } });
  expect(draft.status).toBe(201);
  const issued = await env.call('POST', org(`/invoices/${draft.body.id}/issue`), { body: {} });
  expect(issued.status).toBe(200);
  return issued.body;
};
const counts = async (): Promise<Record<string, number>> => {
  const count = async (table: string): Promise<number> => Number((await env.hub.db.knex(table).where({ organization_id: env.org.id }).count<Array<{ count: string }>>({ count: '*' }).first())?.count);
  return { customers: await count('customers'), invoices: await count('invoices'), payments: await count('payments'), contacts: emu.all('Contacts').length, xeroInvoices: emu.all('Invoices').length, xeroPayments: emu.all('Payments').length };
};

beforeAll(async () => {
  emu = await startXeroEmulator();
  env = await startProviderHub({ connectorId: 'xero', manifest: testManifest(emu.url), handlersModule: '@uah/connector-xero/handlers' });
}, 90_000);
afterAll(async () => {
  await env?.close();
  await emu?.close();
});

describe('Xero end to end', () => {
  it('is enabled through the marketplace API and authorized with OAuth2 and PKCE; the tenant comes from /connections', async () => {
    const put = await env.call('PUT', env.integration(), { body: { credentials: { clientId: emu.client.id, clientSecret: emu.client.secret }, config: { baseUrl: emu.url, salesAccountCode: '4000' } } });
    expect(put.status).toBe(200);
    await setRule('REMOTE_WINS');
    const done = await env.authorize();
    expect(done.status).toBe(200);
    expect(done.body.authorization).toMatchObject({ status: 'AUTHORIZED', hasRefreshToken: true });
  }, 30_000);

  it('sends a customer, an invoice, its payment and a credit note made in the hub to Xero, linked to each other', async () => {
    const customer = await env.call('POST', org('/customers'), { body: { businessName: 'Riverside Studio', email: 'ap@riverside.test' } });
    ids.customer = customer.body.id;
    const invoice = await issue(ids.customer!, '2027-01-31', [{ description: 'Studio hire', quantity: '3', unitPrice: 15000 }]);
    ids.invoice = invoice.id;
    const payment = await env.call('POST', org('/payments'), { body: { customerId: ids.customer, amount: 45000, method: 'BANK_TRANSFER', reference: 'RS-1', applications: [{ invoiceId: ids.invoice, amount: 45000 }] } });
    expect(payment.status).toBe(201);
    ids.payment = payment.body.id;
    const credited = await issue(ids.customer!, '2027-02-15', [{ description: 'Sound engineer', quantity: '1', unitPrice: 20000 }]);
    ids.credited = credited.id;
    await waitFor(async () => Boolean(await linkOf('invoice', credited.id)), 30_000);
    const note = await env.call('POST', org('/credit-notes'), { body: { invoiceId: credited.id, amount: 5000, reason: 'Late start' } });
    expect(note.status).toBe(201);

    await waitFor(async () => Boolean((await linkOf('payment', ids.payment!)) && (await linkOf('credit_note', note.body.id))), 30_000);
    const contactId = await linkOf('customer', ids.customer!);
    expect(remote('Contacts', 'ContactID', contactId)).toMatchObject({ Name: 'Riverside Studio', EmailAddress: 'ap@riverside.test' });
    expect(remote('Invoices', 'InvoiceID', await linkOf('invoice', ids.invoice))).toMatchObject({
      Type: 'ACCREC', Status: 'PAID', Contact: { ContactID: contactId }, InvoiceNumber: invoice.number, DateString: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), DueDateString: '2027-01-31T00:00:00',
      LineItems: [{ Description: 'Studio hire', Quantity: 3, UnitAmount: 150, AccountCode: '4000', LineAmount: 450 }], Total: 450, AmountPaid: 450, AmountDue: 0,
    });
    expect(remote('Payments', 'PaymentID', await linkOf('payment', ids.payment!))).toMatchObject({ Invoice: { InvoiceID: await linkOf('invoice', ids.invoice) }, Account: { Code: '1100' }, Amount: 450, Reference: 'RS-1' });
    expect(remote('CreditNotes', 'CreditNoteID', await linkOf('credit_note', note.body.id))).toMatchObject({ Type: 'ACCRECCREDIT', Status: 'AUTHORISED', Contact: { ContactID: contactId }, Total: 50, RemainingCredit: 0 });
    expect(remote('Invoices', 'InvoiceID', await linkOf('invoice', credited.id))).toMatchObject({ AmountCredited: 50, AmountDue: 150 });
    expect(emu.all('Contacts')).toHaveLength(1);
  }, 60_000);

  it("takes Xero's edit of an invoice on the next sync under REMOTE_WINS, without echoing it back", async () => {
    const second = await issue(ids.customer!, '2027-03-01', [{ description: 'Rehearsal room', quantity: '2', unitPrice: 5000 }]);
    ids.second = second.id;
    await waitFor(async () => Boolean(await linkOf('invoice', second.id)), 30_000);
    const xeroId = (await linkOf('invoice', second.id))!;
    await new Promise((r) => setTimeout(r, 20));
    const line = (remote('Invoices', 'InvoiceID', xeroId)?.['LineItems'] as Array<Record<string, unknown>>)[0]!;
    emu.edit('Invoices', xeroId, { DueDate: '2027-04-01', LineItems: [{ ...line, UnitAmount: 60 }] });
    const before = emu.requests.length;
    const [job] = await env.sync(['invoice']);
    expect(job).toMatchObject({ status: 'SUCCESS', direction: 'pull', counts: { updated: 1, failed: 0 } });
    expect(JSON.stringify(job?.['log'])).toContain("REMOTE_WINS kept the provider's version");
    expect((await env.call('GET', org(`/invoices/${second.id}`))).body.status).toBe('CANCELLED');
    const replacement = (await env.call('GET', org(`/invoices/${await ours('invoice', xeroId)}`))).body;
    expect(replacement).toMatchObject({ status: 'SENT', dueDate: '2027-04-01', total: 12000, metadata: { xeroInvoiceId: xeroId, replaces: second.id } });
    await new Promise((r) => setTimeout(r, 1500));
    expect(emu.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(remote('Invoices', 'InvoiceID', xeroId)).toMatchObject({ Status: 'AUTHORISED', Total: 120 });
  }, 60_000);

  it("keeps the hub's version under MASTER_WINS and writes it back to Xero", async () => {
    await setRule('MASTER_WINS');
    const xeroId = (await linkOf('invoice', ids.credited!))!;
    emu.edit('Invoices', xeroId, { DueDate: '2027-09-30' });
    const [job] = await env.sync(['invoice']);
    expect(job).toMatchObject({ status: 'SUCCESS', counts: { failed: 0 } });
    expect(JSON.stringify(job?.['log'])).toContain("MASTER_WINS kept the hub's version");
    expect((await env.call('GET', org(`/invoices/${ids.credited}`))).body.dueDate).toBe('2027-02-15');
    expect(remote('Invoices', 'InvoiceID', xeroId)).toMatchObject({ DueDateString: '2027-02-15T00:00:00' });
  }, 60_000);

  it('brings a contact, an invoice and a payment made in Xero into the books', async () => {
    await setRule('NEWEST_WINS');
    const contact = emu.add('Contacts', { Name: 'Orchard Kitchen', EmailAddress: 'hello@orchard.test' });
    const invoice = emu.add('Invoices', { Type: 'ACCREC', Status: 'AUTHORISED', Contact: { ContactID: contact['ContactID'] }, Date: '2026-12-01', DueDate: '2026-12-31', InvoiceNumber: 'X-9', LineItems: [{ Description: 'Apples', Quantity: 4, UnitAmount: 2.5, AccountCode: '200' }] });
    const payment = emu.add('Payments', { Invoice: { InvoiceID: invoice['InvoiceID'] }, Account: { Code: '090' }, Date: '2026-12-05', Amount: 10, Reference: 'ORCH' });
    const jobs = await env.sync(['customer', 'invoice', 'payment']);
    expect(jobs.map((j) => j['status'])).toEqual(jobs.map(() => 'SUCCESS'));
    const hubInvoice = (await env.call('GET', org(`/invoices/${await ours('invoice', invoice['InvoiceID'])}`))).body;
    expect(hubInvoice).toMatchObject({ status: 'PAID', total: 1000, dueDate: '2026-12-31', metadata: { xeroInvoiceNumber: 'X-9' } });
    expect((await env.call('GET', org(`/payments/${await ours('payment', payment['PaymentID'])}`))).body).toMatchObject({ amount: 1000, reference: 'ORCH', applications: [{ invoiceId: hubInvoice.id, amount: 1000 }] });
    expect((await env.call('GET', org(`/customers/${hubInvoice.customerId}`))).body).toMatchObject({ businessName: 'Orchard Kitchen', email: 'hello@orchard.test' });
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

  it('goes on when the access token expires mid-sync (one refresh through the hub)', async () => {
    const refreshes = emu.tokenRequests.refresh_token;
    emu.expireAccessTokens();
    const jobs = await env.sync(['customer'], true);
    expect(jobs.map((j) => j['status'])).toEqual(['SUCCESS', 'SUCCESS']);
    expect(emu.tokenRequests.refresh_token).toBe(refreshes + 1);
    expect(emu.requests.filter((r) => r.status === 401)).not.toHaveLength(0);
  }, 60_000);

  it("sent and received only what Xero's OpenAPI schemas allow", () => {
    expect(emu.requests.length).toBeGreaterThan(20);
    expect(schemaProblems(emu.requests, loadXeroSchemas())).toEqual([]);
  });
});
