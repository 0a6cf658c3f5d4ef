import { defineRoute, type Route } from '../http/route.js';
import type { BankAccountService } from './account-service.js';
import type { BankImportService } from './import-service.js';
import type { ReconciliationService } from './reconciliation-service.js';
import type { BankTransactionService } from './transaction-service.js';

const org = '/v1/organizations/:orgId';
const account = `${org}/bank-accounts/:bankAccountId`;
const transaction = `${org}/bank-transactions/:bankTransactionId`;
const p = (params: Record<string, string>, name: string): string => params[name] ?? '';

const IMPORT = 'OFX 1.x (SGML) and 2.x (XML), QFX, ISO 20022 camt.053.001.02 to .08, and CSV through a column mapping. The file goes in the JSON body, as base64 (`contentBase64`) or text (`content`); the body is at most 1 MB (413 BODY_TOO_LARGE), about 700 KB of file, and a file holds at most 20,000 transactions. ' +
  'A transaction already imported into this bank account (same source id: FITID, AcctSvcrRef or NtryRef, or a stable hash of date, amount and text where the file has none) is counted as a duplicate and skipped, so importing a file twice or statements that overlap adds each transaction once. ' +
  'A file that cannot be read (binary data, malformed XML, a DOCTYPE or entity declarations, unknown format, bad dates or amounts) is refused with 422 STATEMENT_UNREADABLE naming the problem, and nothing is written. Each import emits one bank_statement.imported event with this summary (its new lines: GET /bank-transactions?importId=). With `dryRun` the file is read and counted and nothing is written.';

export function createBankingRoutes(deps: { accounts: BankAccountService; imports: BankImportService; transactions: BankTransactionService; reconciliation: ReconciliationService }): Route[] {
  const { accounts, imports, transactions, reconciliation } = deps;
  return [
    defineRoute({
      method: 'POST', path: `${org}/bank-accounts`, operationId: 'createBankAccount', tag: 'Banking', summary: 'Add a bank account',
      description: 'Tied to a ledger ASSET account (default: the chart\'s Bank account); bank_account.created. 409 when another bank account has the same account number.',
      body: 'BankAccountCreate', response: { status: 201, schema: 'BankAccount' }, errors: [409, 422],
      handler: ({ organizationId, body, actor }) => accounts.create(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${org}/bank-accounts`, operationId: 'listBankAccounts', tag: 'Banking', summary: 'List bank accounts',
      query: 'BankAccountListQuery', response: { status: 200, list: 'BankAccount' },
      handler: ({ organizationId, query }) => accounts.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: account, operationId: 'getBankAccount', tag: 'Banking', summary: 'Get a bank account',
      response: { status: 200, schema: 'BankAccount' },
      handler: ({ organizationId, params }) => accounts.get(organizationId, p(params, 'bankAccountId')),
    }),
    defineRoute({
      method: 'PATCH', path: account, operationId: 'updateBankAccount', tag: 'Banking', summary: 'Update a bank account',
      body: 'BankAccountUpdate', response: { status: 200, schema: 'BankAccount' }, errors: [409],
      handler: ({ organizationId, params, body, actor }) => accounts.update(organizationId, p(params, 'bankAccountId'), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${account}/imports`, operationId: 'importBankStatement', tag: 'Banking', summary: 'Import a statement file',
      description: IMPORT, body: 'BankStatementImportCreate', response: { status: 201, schema: 'BankStatementImport' }, errors: [413, 422],
      handler: ({ organizationId, params, body, actor }) => imports.import(organizationId, p(params, 'bankAccountId'), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'GET', path: `${account}/imports/:importId`, operationId: 'getBankStatementImport', tag: 'Banking', summary: 'Get what a statement import did',
      response: { status: 200, schema: 'BankStatementImport' },
      handler: ({ organizationId, params }) => imports.get(organizationId, p(params, 'bankAccountId'), p(params, 'importId')),
    }),
    defineRoute({
      method: 'GET', path: `${org}/bank-transactions`, operationId: 'listBankTransactions', tag: 'Banking', summary: 'List bank transactions',
      query: 'BankTransactionListQuery', response: { status: 200, list: 'BankTransaction' },
      handler: ({ organizationId, query }) => transactions.list(organizationId, query),
    }),
    defineRoute({
      method: 'GET', path: transaction, operationId: 'getBankTransaction', tag: 'Banking', summary: 'Get a bank transaction',
      response: { status: 200, schema: 'BankTransaction' },
      handler: ({ organizationId, params }) => transactions.get(organizationId, p(params, 'bankTransactionId')),
    }),
    defineRoute({
      method: 'POST', path: `${org}/bank-reconciliation-runs`, operationId: 'reconcileBankTransactions', tag: 'Banking', summary: 'Match unmatched bank transactions automatically',
      description: 'Matches above the threshold settle the item through the context that owns it and link the line to what records it: a credit completes (or records) the payment through the payments context, posted through the ledger, with payment.reconciled and the confidence (`paymentId`); a debit pays an open bill through the purchasing context, from the bank account\'s ledger account, with bill.paid caused by the bank transaction, or is linked to a bill payment already made (`billPaymentId`); a credit may also be a processor payout recorded by a payment connector (one deposit for many payments less fees; `payoutId`): a payout not yet PAID is marked PAID on the line\'s date, which posts it (Dr bank, Cr payment clearing) and so closes what its payments put in clearing, and payout.reconciled plus payment.reconciled on each of its payments record the link. A match that is refused (a locked period, a document paid meanwhile) leaves its line with the suggestion. The others keep ranked suggestions (kinds PENDING_PAYMENT, PAYMENT, INVOICE, PAYOUT for credits; BILL, BILL_PAYMENT for debits).',
      body: 'BankReconciliationRun', response: { status: 200, schema: 'BankReconciliationResult' }, errors: [422],
      handler: ({ organizationId, body, actor }) => reconciliation.run(organizationId, body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${transaction}/match`, operationId: 'matchBankTransaction', tag: 'Banking', summary: 'Match a bank transaction by hand',
      description: 'Confirms a suggestion, or any open item of the organization: see the body. The item is settled in the same transaction as the line is marked MATCHED, so either both are written or neither; a refusal (422: another direction, currency or amount, an item that is not open; 409: the line is matched already or the payment is reconciled with another line) writes nothing.',
      body: 'BankTransactionMatch', response: { status: 200, schema: 'BankTransaction' }, errors: [409, 422],
      handler: ({ organizationId, params, body, actor }) => reconciliation.match(organizationId, p(params, 'bankTransactionId'), body, actor.eventMetadata),
    }),
    defineRoute({
      method: 'POST', path: `${transaction}/unmatch`, operationId: 'unmatchBankTransaction', tag: 'Banking', summary: 'Undo a match',
      description: 'The transaction is UNMATCHED again (bank_transaction.unmatched); a transfer it posted between the chart\'s Bank account and the bank account\'s own ledger account is reversed. The payment stays COMPLETED, the bill payment made and the payout PAID, and each can be matched again (`paymentId`, `billPaymentId`, `payoutId`); refund a wrong payment through the payments API.',
      response: { status: 200, schema: 'BankTransaction' }, errors: [409],
      handler: ({ organizationId, params, actor }) => reconciliation.unmatch(organizationId, p(params, 'bankTransactionId'), actor.eventMetadata),
    }),
  ];
}
