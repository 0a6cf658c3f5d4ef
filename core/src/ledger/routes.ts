import type { Context } from 'koa';
import { defineRoute, type Route } from '../http/route.js';
import type { LedgerService } from './service.js';

const org = '/v1/organizations/:orgId';

const SIGNS =
  'Amounts are positive integers in minor units of their currency (cents for USD, yen for JPY); `direction` says whether a line is a DEBIT or a CREDIT. ' +
  'Balances are signed debit minus credit: positive is a debit balance (normal for assets and expenses), negative a credit balance (normal for liabilities, equity and revenue).';
const LOCK =
  'Nothing can be posted on or before the lock date (`GET/PUT .../ledger/settings`): such a posting gets 422 `PERIOD_LOCKED`, and the database refuses it too.';

function sendJournal(ctx: Context, text: string): void {
  ctx.type = 'text/plain; charset=utf-8';
  ctx.set('Content-Disposition', 'inline; filename="journal.ledger"');
  ctx.body = text;
}

function accountRoutes(ledger: LedgerService): Route[] {
  return [
    defineRoute({
      method: 'POST', path: `${org}/accounts`, operationId: 'createAccount', tag: 'Ledger', summary: 'Add an account to the chart of accounts',
      description: 'The code must be unique in the organization (409 otherwise). An account with a `currency` only takes lines in that currency.',
      body: 'AccountCreate', response: { status: 201, schema: 'Account' },
      handler: ({ organizationId, body }) => ledger.accounts.create(organizationId, body),
    }),
    defineRoute({
      method: 'GET', path: `${org}/accounts`, operationId: 'listAccounts', tag: 'Ledger', summary: 'List the chart of accounts',
      description: `By code. Every organization starts with the default chart (one account per system key: bank, receivables, sales revenue, ...). ${SIGNS}`,
      query: 'AccountListQuery', response: { status: 200, list: 'Account' },
      handler: ({ organizationId, query }) => ledger.accounts.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: `${org}/accounts/:accountId`, operationId: 'getAccount', tag: 'Ledger', summary: 'Get an account and its balance',
      description: SIGNS,
      response: { status: 200, schema: 'Account' },
      handler: ({ organizationId, params }) => ledger.accounts.get(organizationId, params['accountId'] ?? ''),
    }),
    defineRoute({
      method: 'PATCH', path: `${org}/accounts/:accountId`, operationId: 'updateAccount', tag: 'Ledger', summary: 'Rename, describe, (de)activate an account',
      description: 'The code can change only while the account has no postings (409 otherwise). System accounts and accounts with a balance cannot be deactivated (422).',
      body: 'AccountUpdate', response: { status: 200, schema: 'Account' }, errors: [409, 422],
      handler: ({ organizationId, params, body }) => ledger.accounts.update(organizationId, params['accountId'] ?? '', body),
    }),
    defineRoute({
      method: 'GET', path: `${org}/accounts/:accountId/ledger`, operationId: 'getAccountLedger', tag: 'Ledger', summary: "An account's postings with a running balance",
      description:
        'Oldest first: by date, then entry number, then line. `runningBalance` is debit minus credit of the posting and every earlier one on the account, ' +
        'exact on every page and with any `from`/`to` (earlier postings still count). It is in base currency from base amounts, or, with `currency` ' +
        '(or for an account restricted to one currency), in that currency from the line amounts.',
      query: 'LedgerQuery', response: { status: 200, list: 'LedgerPosting' },
      handler: ({ organizationId, params, query }) => ledger.accountLedger(organizationId, params['accountId'] ?? '', query),
    }),
  ];
}

function entryRoutes(ledger: LedgerService): Route[] {
  return [
    defineRoute({
      method: 'POST', path: `${org}/journal-entries`, operationId: 'createJournalEntry', tag: 'Ledger', summary: 'Post a journal entry',
      description:
        `Two to 100 lines naming their account by \`accountId\` or \`accountCode\`. Debits must equal credits in every currency (422 \`UNBALANCED_ENTRY\`). ${SIGNS} ` +
        'A line is in the entry\'s currency or in the base currency. In a foreign currency, `exchangeRate` (base units per unit) is required; base amounts are converted ' +
        'per side and shared by largest remainder, so the entry also balances exactly in base currency. ' +
        `${LOCK} Posted entries never change: correct one with \`/reverse\`. ` +
        'With `?dryRun=true` the answer is a `journal_entry_preview`: the lines with base amounts, each balance before and after, and the events, with nothing written. ' +
        'Entry numbers increase per organization in posting order and never repeat; a number drawn by a transaction that rolled back is skipped.',
      body: 'JournalEntryCreate', dryRun: true, response: { status: 201, schema: 'JournalEntryPostResult' }, errors: [422],
      handler: ({ organizationId, body, actor, dryRun }) => ledger.createEntry(organizationId, body, actor.eventMetadata, { dryRun }),
    }),
    defineRoute({
      method: 'GET', path: `${org}/journal-entries`, operationId: 'listJournalEntries', tag: 'Ledger', summary: 'List journal entries',
      description:
        'In posting order (by number). Filter by date range, account or source document. ' +
        '`format=ledger` returns the journal as plain text instead (`text/plain`, the same as `GET .../journal-entries/export`).',
      query: 'JournalEntryListQuery', response: { status: 200, list: 'JournalEntry', alsoContentTypes: ['text/plain'] },
      handler: async ({ organizationId, query, ctx }) => {
        if (query.format === 'ledger') return sendJournal(ctx, await ledger.exportJournal(organizationId, { from: query.from, to: query.to }));
        return ledger.listEntries(organizationId, query);
      },
    }),
    defineRoute({
      method: 'GET', path: `${org}/journal-entries/export`, operationId: 'exportJournal', tag: 'Ledger', summary: 'The journal in the plain-text (h)ledger format',
      description:
        'Commodity and account declarations, then one transaction per entry in date order, amounts in major units (debits positive). Lines in another currency ' +
        'than the base carry their base value as a total cost (`@@`), so `hledger -f journal.ledger bal -B` gives the base-currency balances of the reports and ' +
        '`hledger -f journal.ledger check` verifies the books.',
      query: 'JournalEntryExportQuery', response: { status: 200, contentType: 'text/plain' },
      handler: async ({ organizationId, query, ctx }) => sendJournal(ctx, await ledger.exportJournal(organizationId, { from: query.from, to: query.to })),
    }),
    defineRoute({
      method: 'GET', path: `${org}/journal-entries/:entryId`, operationId: 'getJournalEntry', tag: 'Ledger', summary: 'Get a journal entry',
      response: { status: 200, schema: 'JournalEntry' },
      handler: ({ organizationId, params }) => ledger.getEntry(organizationId, params['entryId'] ?? ''),
    }),
    defineRoute({
      method: 'POST', path: `${org}/journal-entries/:entryId/reverse`, operationId: 'reverseJournalEntry', tag: 'Ledger', summary: 'Reverse a journal entry',
      description:
        'Posts a new entry with the same lines on the opposite sides and the same base amounts, linked both ways (`reversalOf`, `reversedBy`). ' +
        'It is dated `date`, else the original date, or today (UTC) when that date is locked. An entry can be reversed once (409 `ALREADY_REVERSED`).',
      body: 'JournalEntryReverse', response: { status: 201, schema: 'JournalEntry' }, errors: [422],
      handler: ({ organizationId, params, body, actor }) => ledger.reverseEntry(organizationId, params['entryId'] ?? '', body, actor.eventMetadata),
    }),
  ];
}

function settingsRoutes(ledger: LedgerService): Route[] {
  return [
    defineRoute({
      method: 'GET', path: `${org}/ledger/settings`, operationId: 'getLedgerSettings', tag: 'Ledger', summary: 'Ledger settings: base currency and lock date',
      description: LOCK,
      response: { status: 200, schema: 'LedgerSettings' },
      handler: ({ organizationId }) => ledger.getSettings(organizationId),
    }),
    defineRoute({
      method: 'PUT', path: `${org}/ledger/settings`, operationId: 'updateLedgerSettings', tag: 'Ledger', summary: 'Set or clear the lock date',
      description: `${LOCK} Closing a period is an accountant's decision: the key needs the \`admin\` scope.`,
      scope: 'admin', body: 'LockDateUpdate', response: { status: 200, schema: 'LedgerSettings' },
      handler: ({ organizationId, body }) => ledger.setLockDate(organizationId, body.lockDate ?? null),
    }),
  ];
}

export function createLedgerRoutes(ledger: LedgerService): Route[] {
  return [...accountRoutes(ledger), ...entryRoutes(ledger), ...settingsRoutes(ledger)];
}
