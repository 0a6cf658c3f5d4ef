import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONSENT_STATE_KEY, consentStatus, type SyncJob } from '@uah/connector-sdk';
import { contractProblems, createTestContext, type TestContext } from '@uah/connector-sdk/testing';
import connector from '../src/index.js';
import type { Config, Credentials } from '../src/api.js';
import { problemsOf, responseSchemaOf } from './cds-schemas.js';
import { startBankEmulator, type BankEmulator } from './emulator.js';
import { memoryBanking } from './fakes.js';

const TOKEN = 'cdr-access-token-0123456789';
let bank: BankEmulator;
let test: TestContext<Credentials, Config>;
let books: ReturnType<typeof memoryBanking>;
const job = (extra: Partial<SyncJob> = {}): SyncJob => ({ dataType: 'bank_transaction', direction: 'pull', trigger: 'manual', full: false, lastSuccessAt: null, ...extra });
const sync = (extra: Partial<SyncJob> = {}) => connector.sync!.bank_transaction!(test.ctx, job(extra));

/** Every answer the emulator gave conforms to the schema the description documents for it. */
function expectAnswersDescribed(): void {
  expect(bank.answered.length).toBeGreaterThan(0);
  for (const a of bank.answered) expect({ answer: `${a.method} ${a.path} ${a.status}`, problems: problemsOf(responseSchemaOf(a.method, a.path, a.status), a.body) }).toEqual({ answer: `${a.method} ${a.path} ${a.status}`, problems: [] });
}

beforeEach(async () => {
  bank = await startBankEmulator(TOKEN);
  books = memoryBanking();
  test = createTestContext(connector, { credentials: { accessToken: TOKEN, consentExpiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString() }, config: { baseUrl: bank.url, pageSize: 25 }, entities: books.entities });
});
afterEach(() => bank.close());

describe('open banking connector', () => {
  it('keeps the contract: valid manifest, a handler for everything it declares', () => {
    expect(contractProblems(connector)).toEqual([]);
  });

  it('pulls every booked transaction of every account across pages, in minor units, and skips the pending ones', async () => {
    bank.addAccount('acc-1', { current: '1000.00' });
    bank.addAccount('acc-2', { current: '5.00' });
    for (let i = 0; i < 60; i++) bank.addTransaction('acc-1', { amount: `${100 + i}.25`, description: `Deposit ${i}`, reference: `REF-${i}` });
    bank.addTransaction('acc-1', { amount: '-12.30', description: 'Card purchase', status: 'PENDING' });
    bank.addTransaction('acc-2', { amount: '-45.00', description: 'Bank fee', type: 'FEE' });
    expect(await sync()).toMatchObject({ created: 61, skipped: 1, failed: 0 });
    expect(books.accounts.map((a) => [a.name, a.currency])).toEqual([['Business transaction account 1 (xxx-xxx xxxxx001)', 'AUD'], ['Business transaction account 2 (xxx-xxx xxxxx002)', 'AUD']]);
    const first = [...books.lines.values()].find((l) => l.description === 'Deposit 0');
    expect(first).toMatchObject({ amount: 10025, currency: 'AUD', reference: 'REF-0', bankAccountId: books.accounts[0]!.id });
    expect([...books.lines.values()].find((l) => l.description === 'Bank fee')).toMatchObject({ amount: -4500, type: 'FEE', bankAccountId: books.accounts[1]!.id });
    // 60 + 1 pending lines of acc-1 in pages of 25: three pages, the later ones through links.next.
    expect(bank.received.filter((r) => r.url.startsWith('/cds-au/v1/banking/accounts/acc-1/transactions')).map((r) => new URL(r.url, 'http://x').searchParams.get('page'))).toEqual([null, '2', '3']);
    expect(bank.received.every((r) => r.xv !== undefined)).toBe(true);
    expect(books.reconciled).toEqual([{ bankAccountId: books.accounts[0]!.id }, { bankAccountId: books.accounts[1]!.id }]);
    expectAnswersDescribed();
    expect(contractProblems(connector, test)).toEqual([]);
  });

  it('adds nothing on an overlapping run, and a pending transaction once, when it is posted', async () => {
    bank.addAccount('acc-1');
    bank.addTransaction('acc-1', { amount: '250.00', description: 'Transfer from Acme', reference: 'INV-7' });
    const pending = bank.addTransaction('acc-1', { amount: '99.00', description: 'Transfer from Brook', status: 'PENDING' });
    expect(await sync()).toMatchObject({ created: 1, skipped: 1 });
    expect(await sync()).toMatchObject({ created: 0, skipped: 2 });
    expect(await sync({ full: true })).toMatchObject({ created: 0, skipped: 2 });
    // Posted under a new id, as the standard allows: it comes in once.
    Object.assign(pending, { status: 'POSTED', transactionId: 'txn-posted-brook', postingDateTime: new Date().toISOString() });
    expect(await sync()).toMatchObject({ created: 1, skipped: 1 });
    expect(await sync()).toMatchObject({ created: 0, skipped: 2 });
    expect([...books.lines.values()].map((l) => [l.description, l.amount])).toEqual([['Transfer from Acme', 25000], ['Transfer from Brook', 9900]]);
    // The second run re-read from the overlap before the latest booking day, not the whole history.
    const windows = bank.received.filter((r) => r.url.includes('/transactions')).map((r) => new URL(r.url, 'http://x').searchParams.get('oldest-time'));
    expect(new Set(windows).size).toBe(2);
  });

  it('counts a line it cannot take as failed, naming it, and imports the rest', async () => {
    bank.addAccount('acc-1');
    bank.addTransaction('acc-1', { amount: '12.345', description: 'Three decimals', transactionId: 'txn-bad-amount' });
    bank.addTransaction('acc-1', { amount: '5.00', description: 'Travel purse', currency: 'USD', transactionId: 'txn-usd' });
    bank.addTransaction('acc-1', { amount: '7.00', description: 'Fine' });
    const result = await sync();
    expect(result).toMatchObject({ created: 1, failed: 2 });
    expect(result.errors?.map((e) => e.externalId).sort()).toEqual(['txn-bad-amount', 'txn-usd']);
    expect([...books.lines.values()].map((l) => l.description)).toEqual(['Fine']);
  });

  it('waits out a 429 with Retry-After and retries a 500', async () => {
    bank.addAccount('acc-1');
    bank.addTransaction('acc-1', { amount: '10.00', description: 'Interest', type: 'INTEREST_PAID' });
    bank.fail(429, { retryAfter: 1 });
    bank.fail(500);
    const started = Date.now();
    expect(await sync()).toMatchObject({ created: 1, failed: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(bank.answered.slice(0, 2).map((a) => [a.status, a.headers['retry-after']])).toEqual([[429, '1'], [500, undefined]]);
    expect(problemsOf('ResponseErrorListV2', bank.answered[0]!.body)).toEqual([]);
  });

  it('reports the consent, and a consent the provider refuses as EXPIRED, failing the sync', async () => {
    bank.addAccount('acc-1');
    await sync();
    expect(consentStatus(test.state.get(CONSENT_STATE_KEY))).toMatchObject({ status: 'ACTIVE', detail: null });
    bank.expireConsent();
    await expect(sync()).rejects.toThrow(/consent was refused by the provider \(The customer's consent has expired\.\)/);
    expect(consentStatus(test.state.get(CONSENT_STATE_KEY))).toMatchObject({ status: 'EXPIRED', detail: "The customer's consent has expired." });
    expect(problemsOf('ResponseErrorListV2', bank.answered.at(-1)!.body)).toEqual([]);
    // A consent that ends within days is reported as EXPIRING before it ends.
    const soon = createTestContext(connector, { credentials: { accessToken: TOKEN, consentExpiresAt: new Date(Date.now() + 2 * 86_400_000).toISOString() }, config: { baseUrl: bank.url }, entities: books.entities });
    await connector.sync!.bank_transaction!(soon.ctx, job()).catch(() => undefined);
    expect(consentStatus(soon.state.get(CONSENT_STATE_KEY))).toMatchObject({ status: 'EXPIRED' });
    expect(consentStatus({ ...(soon.state.get(CONSENT_STATE_KEY) as object), refused: false })).toMatchObject({ status: 'EXPIRING' });
  });

  it('get_account_balances answers every balance in minor units, or those asked for through the POST form', async () => {
    bank.addAccount('acc-1', { current: '1234.56' });
    bank.addAccount('acc-2', { current: '-10.05' });
    expect(await connector.actions!.get_account_balances!(test.ctx, {})).toEqual({ balances: [
      { accountId: 'acc-1', bankAccountId: null, currency: 'AUD', current: 123456, available: 123456, creditLimit: 0 },
      { accountId: 'acc-2', bankAccountId: null, currency: 'AUD', current: -1005, available: -1005, creditLimit: 0 },
    ] });
    await sync();
    expect(await connector.actions!.get_account_balances!(test.ctx, { accountIds: ['acc-2'] })).toEqual({ balances: [{ accountId: 'acc-2', bankAccountId: books.accounts[1]!.id, currency: 'AUD', current: -1005, available: -1005, creditLimit: 0 }] });
    const post = bank.received.find((r) => r.method === 'POST')!;
    expect(post.xv).toBe('1');
    expectAnswersDescribed();
  });

  it('the emulator answers refusals as the description documents them', async () => {
    bank.addAccount('acc-1');
    const get = (path: string, xv = '3') => fetch(`${bank.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-v': xv } });
    expect((await get('/banking/accounts?page=9')).status).toBe(422);
    expect((await get('/banking/accounts', '2')).status).toBe(406);
    expect((await get('/banking/accounts/nope/transactions', '2')).status).toBe(404);
    expect((await fetch(`${bank.url}/banking/accounts/balances`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'x-v': '1', 'content-type': 'application/json' }, body: JSON.stringify({ data: {} }) })).status).toBe(400);
    expect(bank.answered.map((a) => a.status)).toEqual([422, 406, 404, 400]);
    expectAnswersDescribed();
  });
});
