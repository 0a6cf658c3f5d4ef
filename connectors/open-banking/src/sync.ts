import { createHash } from 'node:crypto';
import { decimalToMinorUnits, reportConsent, type BankAccount, type BankFeedImport, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { api, isConsentRefusal, listAll, providerErrors, VERSION, type Ctx, type RemoteAccount, type RemoteTransaction } from './api.js';
import { bankAccountFor, currencyOf, readAccounts } from './accounts.js';

type FeedLine = BankFeedImport['transactions'][number];
const DAY = 86_400_000;
/** Lines per feed import: one import record (and one event) per chunk. */
const CHUNK = 2000;
const cursorKey = (accountId: string): string => `transactions.booked-through.${accountId}`;

/** The calendar day of a date-time as the bank wrote it (its own offset), which is the statement's day. */
const dayOf = (dateTime: string): string => dateTime.slice(0, 10);
const minusDays = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10);

/**
 * A booked transaction as a line of the books. The bank's `transactionId` is the line's identity (the
 * standard has banks give one, by hashing if need be); without one, a hash of what the bank shows.
 */
export function lineOf(t: RemoteTransaction): FeedLine {
  const currency = currencyOf(t.currency);
  const posted = t.postingDateTime ?? t.valueDateTime ?? t.executionDateTime ?? '';
  if (!/^\d{4}-\d{2}-\d{2}T/.test(posted)) throw new RangeError(`"${posted.slice(0, 40)}" is not a DateTimeString`);
  const id = t.transactionId ?? `h:${createHash('sha256').update([t.accountId, posted, t.amount, currency, t.description, t.reference].join('|')).digest('hex').slice(0, 40)}`;
  return {
    id: id.slice(0, 200), date: dayOf(posted), valueDate: t.valueDateTime ? dayOf(t.valueDateTime) : null, amount: decimalToMinorUnits(t.amount, currency), currency,
    description: t.description.slice(0, 2000), counterparty: (t.merchantName ?? t.billerName ?? null)?.slice(0, 500) ?? null, reference: (t.reference || t.crn || null)?.slice(0, 500) ?? null, type: t.type.slice(0, 100),
  };
}

/** Where reading starts: the history window on a first or full run, else a few days before the latest booking day seen. */
async function windowStart(ctx: Ctx, job: SyncJob, accountId: string, today: string): Promise<string> {
  const seen = job.full ? undefined : await ctx.syncState.get(cursorKey(accountId));
  return typeof seen === 'string' ? minusDays(seen, ctx.config.overlapDays ?? 7) : minusDays(today, ctx.config.historyDays ?? 90);
}

async function pullAccount(ctx: Ctx, job: SyncJob, account: RemoteAccount, bank: BankAccount, result: SyncResult): Promise<boolean> {
  const today = new Date().toISOString().slice(0, 10);
  const from = await windowStart(ctx, job, account.accountId, today);
  const lines: FeedLine[] = [];
  const query = { 'oldest-time': `${from}T00:00:00Z`, 'newest-time': new Date().toISOString(), 'page-size': ctx.config.pageSize ?? 100 };
  for await (const t of listAll<'transactions', RemoteTransaction>(api(ctx), `/banking/accounts/${encodeURIComponent(account.accountId)}/transactions`, 'transactions', VERSION.transactions, query)) {
    // A pending transaction may still change or vanish, and the standard gives no way to tie it to the
    // posted one that replaces it: it comes in once it is posted, under the posted transaction's id.
    if (t.status !== 'POSTED' || !t.postingDateTime) {
      result.skipped += 1;
      continue;
    }
    try {
      const line = lineOf(t);
      if (line.currency !== bank.currency) throw new RangeError(`is in ${line.currency}, bank account ${bank.id} in ${bank.currency}`);
      lines.push(line);
    } catch (error) {
      result.failed += 1;
      (result.errors ??= []).push({ externalId: t.transactionId ?? account.accountId, message: (error as Error).message });
    }
  }
  let imported = 0;
  for (let i = 0; i < lines.length; i += CHUNK) {
    const chunk = lines.slice(i, i + CHUNK);
    const done = await ctx.entities.bankTransactions.importFeed(bank.id, { source: `open-banking ${account.accountId.slice(0, 80)} ${from}..${today}`, from, to: today, transactions: chunk });
    imported += done.imported;
    result.skipped += done.duplicates;
  }
  result.created += imported;
  // Only an optimisation: the bank's ids, unique per bank account in the books, are what keeps lines from doubling.
  const latest = lines.reduce((max, l) => (l.date > max ? l.date : max), '');
  if (latest) await ctx.syncState.set(cursorKey(account.accountId), latest);
  ctx.logger.info('bank transactions pulled', { accountId: account.accountId, bankAccountId: bank.id, from, read: lines.length, imported });
  return imported > 0;
}

/**
 * Pulls the booked transactions of every open account into the bank account linked to it, then runs the
 * books' automatic reconciliation over each bank account that received new lines. The consent is
 * reported first; when the provider refuses it, that is reported and the sync fails saying so.
 */
export async function pullBankTransactions(ctx: Ctx, job: SyncJob): Promise<SyncResult> {
  const result: SyncResult = { created: 0, updated: 0, skipped: 0, failed: 0 };
  await reportConsent(ctx, { expiresAt: ctx.credentials.consentExpiresAt ?? null });
  try {
    const changed: string[] = [];
    for (const { account, balance } of await readAccounts(ctx)) {
      if (account.openStatus === 'CLOSED') continue;
      const bank = await bankAccountFor(ctx, account, balance);
      if (await pullAccount(ctx, job, account, bank, result)) changed.push(bank.id);
    }
    if (ctx.config.reconcile !== false) {
      for (const bankAccountId of changed) {
        const run = await ctx.entities.bankTransactions.reconcile({ bankAccountId });
        ctx.logger.info('reconciled', { bankAccountId, considered: run.considered, matched: run.matched, suggested: run.suggested });
      }
    }
    return result;
  } catch (error) {
    if (!isConsentRefusal(error)) throw error;
    const detail = providerErrors(error)[0]?.detail ?? (error as Error).message;
    await reportConsent(ctx, { expiresAt: ctx.credentials.consentExpiresAt ?? null, refused: true, detail });
    throw new Error(`The customer's consent was refused by the provider (${detail}): it must be granted again and the integration's credentials updated.`, { cause: error });
  }
}
